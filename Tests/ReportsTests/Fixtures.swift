import AVPSModel
import Foundation

/// A rich RunResult: target `qemu-x86.64 tcg` has every verdict and hostile strings everywhere a
/// guest or profile can put text; target `broken-board` ended in INFRA and has no evidence.
enum Fixtures {
    /// Markup breakers, CDATA terminator, NUL and ESC, quotes, non-ASCII and a URL.
    static let hostile = "<script>alert(\"x\")</script> & ]]> \u{0}nul \u{1b}[31mred\u{1b}[0m 'q' \"dq\" "
        + "Grüße Ω 車 🚗 https://evil.example/x"

    /// `hostile` as it must read after an XML round trip: forbidden controls become U+FFFD.
    static let hostileXMLLegal = hostile
        .replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        .replacingOccurrences(of: "\u{1b}", with: "\u{FFFD}")

    static let started = Date(timeIntervalSince1970: 1_740_830_400.250)  // 2025-03-01T12:00:00.250Z
    static let finished = Date(timeIntervalSince1970: 1_740_830_437.5)

    static func result(_ key: String, _ category: String, _ level: RequirementLevel, _ verdict: Verdict,
                       title: String? = nil, reason: String? = nil, evidence: [String] = []) -> RequirementResult {
        RequirementResult(key: key, title: title ?? "title of \(key)", chapter: "Chapter \(category)",
                          category: category, level: level, verdict: verdict,
                          reason: reason ?? "reason for \(verdict.rawValue)", evidence: evidence)
    }

    static let mixed = TargetResult(
        name: "qemu-x86.64 tcg", adapter: "qemu", accelerator: "tcg",
        commandLine: ["qemu-system-x86_64", "-machine", "q35", "-append", "console=ttyS0 quiet", "-name", "it's"],
        profile: ProfileReference(id: "avps-2.0", path: "Profiles/avps-2.0.yaml", sha256: String(repeating: "ab", count: 32)),
        stages: [
            StageTiming(stage: "hypervisor started", startedAt: 0, duration: 0.4, ok: true),
            StageTiming(stage: "agent hello", startedAt: 0.4, duration: 5.6, ok: true),
            StageTiming(stage: "inventory <probe>", startedAt: 6.0, duration: 1.25, ok: false),
        ],
        evidence: Evidence(
            guest: GuestIdentity(agentVersion: "0.1.0", protocolVersion: 1, kernelRelease: "6.8.0 \(hostile)",
                                 machine: "x86_64"),
            devices: [
                VirtioDeviceRecord(name: "virtio0", deviceID: 2, vendorID: 0x1af4, transport: .pci,
                                   busAddress: "0000:00:02.0", pciDeviceID: 0x1042,
                                   negotiatedFeatures: FeatureBits([32, 9, 1, 28]), status: 15, driver: "virtio_blk"),
                VirtioDeviceRecord(name: "virtio1", deviceID: 4, vendorID: 0x1af4, transport: .mmio,
                                   busAddress: nil, pciDeviceID: nil, negotiatedFeatures: FeatureBits([]),
                                   status: 3, driver: nil),
            ]),
        infraError: nil,
        results: [
            result("AVPS2-GEN-01", "general", .must, .pass, evidence: ["virtio0: VERSION_1 (bit 32) negotiated"]),
            result("AVPS2-GEN-02", "general", .should, .flaky, reason: "passed on second attempt"),
            result("AVPS2-STOR-01", "storage", .must, .fail, title: "Block \(hostile)", reason: "flush \(hostile)",
                   evidence: ["virtio0 features: 1,9,28,32", "line with \(hostile)"]),
            result("AVPS2-STOR-02", "storage", .may, .notApplicable, reason: "no block device offered"),
            result("AVPS2-RNG-01", "entropy", .must, .skipped, reason: "rng rate probe timed out"),
            result("AVPS2-RNG-02", "entropy", .should, .untested, reason: "no machine check yet"),
            result("AVPS2-VSOCK-01", "vsock", .must, .error, reason: "probe crashed: \(hostile)"),
            result("AVPS2-VSOCK-02", "vsock", .should, .infra, reason: "vsock backend went away"),
            result("AVPS2-VSOCK-03", "vsock", .may, .waived, reason: "waived by J. Doe until 2025-12-31"),
        ],
        artifacts: ["serial log": "targets/qemu/serial.log", "command line": "targets/qemu/cmd line.txt",
                    "evil": "https://evil.example/x", "script": "javascript:alert(1)"])

    static let broken = TargetResult(
        name: "broken-board", adapter: "external-command", accelerator: nil,
        commandLine: ["/opt/vendor/boot", "--board", "x"],
        profile: ProfileReference(id: "avps-2.0", path: "Profiles/avps-2.0.yaml", sha256: String(repeating: "cd", count: 32)),
        stages: [StageTiming(stage: "hypervisor started", startedAt: 0, duration: 30, ok: false)],
        evidence: nil,
        infraError: "hypervisor started: boot timed out after 30 s <no console output>",
        results: [
            result("AVPS2-GEN-01", "general", .must, .infra, reason: "guest never answered"),
            result("AVPS2-STOR-01", "storage", .must, .infra, reason: "guest never answered"),
        ],
        artifacts: [:])

    static let run = RunResult(
        toolVersion: "0.1.0-test", startedAt: started, finishedAt: finished,
        host: HostInfo(hostname: "ci-runner-1", kernel: "6.8.0-generic", machine: "x86_64",
                       hypervisorVersion: "QEMU 8.2.2"),
        targets: [mixed, broken])
}
