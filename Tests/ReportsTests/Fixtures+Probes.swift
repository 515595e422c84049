import AVPSModel
import Foundation

/// Fixtures for the newer evidence (probes, offered features, host observations) and for
/// matrices and diffs: two vendors, a baseline and a current night.
extension Fixtures {
    static func probedTarget(name: String, adapter: String, rate: Double, bootSeconds: Double,
                             verdicts: [Verdict], hostileProbe: Bool = false) -> TargetResult {
        var device = VirtioDeviceRecord(name: "virtio0", deviceID: 2, vendorID: 0x1af4, transport: .pci,
                                        busAddress: "0000:00:03.0", pciDeviceID: 0x1042,
                                        negotiatedFeatures: FeatureBits([1, 9, 32]), status: 15, driver: "virtio_blk")
        device.offered = OfferedFeatures(bits: FeatureBits([1, 2, 9, 32, 33]), method: "pci-cfg-window")
        device.queues = 1
        device.legacy = false
        device.config = ["capacity": .int(131072), "blk_size": .int(512)]
        var rng = VirtioDeviceRecord(name: "virtio1", deviceID: 4, vendorID: 0x1af4, transport: .pci,
                                     negotiatedFeatures: FeatureBits([32]), status: 15, driver: "virtio_rng")
        rng.offered = OfferedFeatures(bits: nil, method: nil, unavailableReason: "config space locked down")
        let probes = [
            ProbeResult(name: "block.integrity", device: "virtio0", status: .ok,
                        facts: ["bytes_verified": .int(1_048_576), "flush_ok": .bool(true), "write_mib_s": .double(48.5)]),
            ProbeResult(name: "entropy.rate", device: "virtio1", status: .ok,
                        facts: ["bytes_per_second": .double(rate), "source": .string(hostileProbe ? hostile : "hwrng")]),
            ProbeResult(name: "vsock.echo", device: nil, status: .unavailable, facts: [:],
                        reason: hostileProbe ? "no vsock \(hostile)" : "no vsock device"),
        ]
        let keys = ["AVPS2-GEN-01", "AVPS2-STOR-01", "AVPS2-RNG-01", "AVPS2-VSOCK-01"]
        let categories = ["general", "storage", "entropy", "vsock"]
        let results = zip(zip(keys, categories), verdicts).map { pair, verdict in
            result(pair.0, pair.1, .must, verdict, title: hostileProbe ? "title \(hostile)" : nil,
                   reason: hostileProbe ? "because \(hostile)" : nil)
        }
        return TargetResult(
            name: name, adapter: adapter, accelerator: "tcg", commandLine: ["qemu-system-x86_64", "-name", name],
            profile: ProfileReference(id: "avps-2.0", path: "Profiles/avps-2.0.yaml", sha256: String(repeating: "ef", count: 32)),
            stages: [StageTiming(stage: "agent hello", startedAt: 0, duration: bootSeconds, ok: true)],
            evidence: Evidence(guest: GuestIdentity(agentVersion: "0.2.0", protocolVersion: 1, kernelRelease: "6.1.0-28",
                                                    machine: "x86_64"),
                               devices: [device, rng], probes: probes,
                               hostObservations: ["boot_to_agent_s": .double(bootSeconds), "qmp_ok": .bool(true)]),
            infraError: nil, results: results, artifacts: ["serial_log": "\(name)/serial.log"])
    }

    static func night(_ targets: [TargetResult], hypervisor: String = "QEMU 7.2.15") -> RunResult {
        RunResult(toolVersion: "0.1.0-test", startedAt: started, finishedAt: finished,
                  host: HostInfo(hostname: "lab-1", kernel: "6.1.0", machine: "x86_64", hypervisorVersion: hypervisor),
                  targets: targets)
    }

    static let baseline = night([
        probedTarget(name: "vendor-a", adapter: "qemu", rate: 1000, bootSeconds: 3.8, verdicts: [.pass, .pass, .fail, .pass]),
        probedTarget(name: "vendor-b", adapter: "external-command", rate: 2000, bootSeconds: 5, verdicts: [.pass, .pass, .pass, .skipped]),
    ])

    /// vendor-a: STOR-01 regresses, RNG-01 is fixed, VSOCK-01 becomes N/A, the rng rate halves;
    /// vendor-b: the boot time moves by 4 % (inside a 10 % tolerance), VSOCK-01 now FAILs.
    static let current = night([
        probedTarget(name: "vendor-a", adapter: "qemu", rate: 500, bootSeconds: 3.8, verdicts: [.pass, .fail, .pass, .notApplicable]),
        probedTarget(name: "vendor-b", adapter: "external-command", rate: 2000, bootSeconds: 5.2, verdicts: [.pass, .pass, .pass, .fail]),
    ])

    static let hostileRun = night([
        probedTarget(name: "vendor \(hostile)", adapter: "adapter|\(hostile)", rate: 1, bootSeconds: 1,
                     verdicts: [.pass, .fail, .error, .infra], hostileProbe: true),
    ], hypervisor: "=cmd|' /C calc'!A0 \(hostile)")
}
