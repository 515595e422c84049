import AVPSModel
import Foundation
import Reports
import Testing

/// The transport rows of virtio-generic (VIRTIO-GEN-06..09) on real guests: what QEMU's PCI and
/// MMIO transports present, read by the agent from the registers and judged by the host.
@Suite("transport register checks on real guests", .guestSlot(minutes: 6), .serialized, .timeLimit(.minutes(20)))
struct TransportGuestTests {
    /// Runs `targets` (suite YAML) against virtio-generic and returns each target's results by key.
    static func run(_ label: String, targets: String) async throws -> [String: [String: RequirementResult]] {
        let directory = try Paths.temporaryDirectory(label)
        let suite = directory.appendingPathComponent("suite.yaml")
        try Data("schema: 1\nname: \(label)\nprofiles: [virtio-generic]\ntargets:\n\(targets)".utf8).write(to: suite)
        let out = directory.appendingPathComponent("run")
        let run = try await CLITests.avps(["run", suite.path, "--accel", "tcg", "--jobs", "1", "--out", out.path])
        #expect([0, 1, 4].contains(run.status), "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let result = try finishedRun(out)
        for target in result.targets { #expect(target.infraError == nil, "\(target.name): \(target.infraError ?? "")") }
        return Dictionary(uniqueKeysWithValues: result.targets.map { target in
            (target.name, Dictionary(uniqueKeysWithValues: target.results.map { ($0.key, $0) }))
        })
    }

    static func verdicts(_ results: [String: RequirementResult]?) -> [String] {
        ["VIRTIO-GEN-06", "VIRTIO-GEN-07", "VIRTIO-GEN-08", "VIRTIO-GEN-09"].map { results?[$0]?.verdict.rawValue ?? "missing" }
    }

    @Test("x86: q35 PCI modern, q35 legacy-only (modern: false), microvm MMIO Version 1 and 2")
    func x86() async throws {
        let results = try await Self.run("transport-x86", targets: """
              - {name: tp-q35, devices: [{block: {size_mib: 16}}, net, entropy]}
              - {name: tp-q35-legacy, devices: [{block: {size_mib: 16, modern: false}}, {entropy: {modern: false}}]}
              - {name: tp-microvm-mmio, machine: microvm, transport: mmio, devices: [{block: {size_mib: 16}}, entropy]}
              - {name: tp-microvm-mmio-modern, machine: microvm, transport: mmio-modern, devices: [{block: {size_mib: 16}}, entropy]}
            """)
        // q35: modern capabilities everywhere; QEMU's devices on the root bus are transitional
        // (a legacy I/O BAR beside the modern interface): a SHOULD deviation; feature words clean.
        #expect(Self.verdicts(results["tp-q35"]) == ["PASS", "FAIL", "NOT_APPLICABLE", "PASS"])
        #expect(results["tp-q35"]?["VIRTIO-GEN-07"]?.reason.contains("(legacy I/O BAR of a transitional function)") == true)
        #expect(results["tp-q35"]?["VIRTIO-GEN-06"]?.evidence.contains { $0.hasSuffix("capabilities common, notify, ISR, device, PCI-config-access") } == true)
        // modern: false: no VIRTIO capability at all on the forced-legacy functions.
        let legacy = try #require(results["tp-q35-legacy"]?["VIRTIO-GEN-06"])
        #expect(legacy.verdict == .fail && legacy.reason.contains("(block, ") && legacy.reason.contains("(it presents none: legacy-only)"), "\(legacy.reason)")
        // MMIO Version 1 (QEMU's default): the legacy register layout, zero past word 0/1.
        #expect(Self.verdicts(results["tp-microvm-mmio"]) == ["NOT_APPLICABLE", "FAIL", "FAIL", "PASS"])
        #expect(results["tp-microvm-mmio"]?["VIRTIO-GEN-08"]?.reason.contains("has Version 1 (the legacy register layout)") == true)
        // MMIO Version 2: every selector above 1 answers word 1 again.
        #expect(Self.verdicts(results["tp-microvm-mmio-modern"]) == ["NOT_APPLICABLE", "PASS", "PASS", "FAIL"])
        let words = try #require(results["tp-microvm-mmio-modern"]?["VIRTIO-GEN-09"])
        #expect(words.reason.contains("presents non-zero feature words beyond the defined bits (word 1 is the last with any): word 2 = 0x1"), "\(words.reason)")
    }

    @Test("aarch64 virt: MMIO Version 1 and 2 (same findings as x86 microvm)")
    func aarch64() async throws {
        let results = try await Self.run("transport-arm", targets: """
              - {name: tp-arm-mmio, arch: aarch64, transport: mmio, devices: [{block: {size_mib: 16}}, net, entropy]}
              - {name: tp-arm-mmio-modern, arch: aarch64, transport: mmio-modern, devices: [{block: {size_mib: 16}}, net, entropy]}
            """)
        #expect(Self.verdicts(results["tp-arm-mmio"]) == ["NOT_APPLICABLE", "FAIL", "FAIL", "PASS"])
        #expect(Self.verdicts(results["tp-arm-mmio-modern"]) == ["NOT_APPLICABLE", "PASS", "PASS", "FAIL"])
        // net defines bits up to 70 (word 2), so its stray words start at 3.
        let words = try #require(results["tp-arm-mmio-modern"]?["VIRTIO-GEN-09"])
        #expect(words.reason.contains("(net, ") && words.reason.contains("(word 2 is the last with any): word 3 = 0x"), "\(words.reason)")
    }

    @Test("QEMU 7.2 on virtio-mmio Version 2 repeats word 1 past it")
    func qemu72() async throws {
        let results = try await Self.run("transport-qemu72", targets: """
              - {name: tp-72-mmio-modern, machine: microvm, transport: mmio-modern, devices: [entropy]}
            """)
        Self.expectWordOneRepeated(results["tp-72-mmio-modern"]?["VIRTIO-GEN-09"], "tp-72-mmio-modern")
    }

    /// The first QEMU 10 microvm of a run used to exit before printing anything: Linux never
    /// programs microvm's 8259, and QEMU 10 delivers its vector 0 (now `pic=off`, QEMUMachine).
    @Test("QEMU 10 (bookworm-backports) on virtio-mmio Version 2 repeats word 1 past it")
    func qemu10() async throws {
        let results = try await Self.run("transport-qemu10", targets: """
              - {name: tp-10-mmio-modern, qemu: {from: backports}, machine: microvm, transport: mmio-modern, devices: [entropy]}
            """)
        Self.expectWordOneRepeated(results["tp-10-mmio-modern"]?["VIRTIO-GEN-09"], "tp-10-mmio-modern")
    }

    /// The entropy device: word 0 INDIRECT_DESC|EVENT_IDX, word 1 VERSION_1|RING_RESET, then word 1 again.
    static func expectWordOneRepeated(_ words: RequirementResult?, _ name: String) {
        guard let words, !words.reason.contains("QEMU from backports unavailable") else {
            #expect(words != nil, "\(name): no VIRTIO-GEN-09 row")
            return
        }
        #expect(words.verdict == .fail, "\(name): \(words.reason)")
        #expect(words.evidence.contains { $0.contains("(entropy, ") && $0.hasSuffix("2:0x101 3:0x101 4:0x101 5:0x101 6:0x101 7:0x101") },
                "\(name): \(words.evidence)")
    }
}
