import AVPSModel
import Foundation
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing

/// Two guests cover the transport readings and every probe: a rich one (every device kind avps
/// knows, one feature switched off, one device legacy-only) and a minimal one (the agent's own
/// console plus a read-only disk) in which the other probes must not run at all.
@Suite("Offered features and probes in real QEMU guests", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct ProbeGuestTests {
    private func run(_ target: TargetSpec) async throws -> (TargetResult, Evidence) {
        let (outcome, _) = try await runTarget(target, bootTimeout: .seconds(180))
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        #expect(processesMentioning("avps-\(target.name)").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace(of: result.commandLine) ?? "/nonexistent-\(UUID())"))
        return (result, try #require(result.evidence))
    }

    private func probe(_ name: String, in evidence: Evidence) -> ProbeResult? {
        evidence.probes.first { $0.name == name }
    }

    @Test("rich guest: agent-read offered bits equal QEMU's host-features; every probe measures")
    func richGuest() async throws {
        let target = TargetSpec(name: "it-probes-rich", accelerator: "tcg", devices: [
            .block(sizeMiB: 16, discard: false), .net, .legacy(.entropy), .balloon, .keyboard, .gpu,
            .crypto, .ninep, .iommu, .scsi,
        ], agentChannel: .virtioSerial)  // vsock has its own tests; keep this guest's device set fixed
        let (result, evidence) = try await run(target)
        #expect(evidence.devices.map(\.deviceID).sorted() == [1, 2, 3, 4, 5, 8, 9, 16, 18, 20, 23])

        // The oracle: QEMU's own x-query-virtio-status, recorded by the runner per PCI address.
        for device in evidence.devices {
            let address = try #require(device.busAddress)
            let host = try #require(evidence.hostObservations["qemu.host_features.\(address)"], "\(device.name)")
            guard case .list(let values) = host else { Issue.record("not a list: \(host)"); continue }
            let qemu = QEMUVirtioDevice(path: "", name: "", deviceID: device.deviceID, busAddress: address,
                                        hostFeatures: FeatureBits(values.compactMap { $0.number.map { Int($0) } }),
                                        unmappedNames: [])
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            if device.offered?.method == "legacy-io-bar" {
                #expect(offered == qemu.legacyView, "\(device.name) legacy view")
            } else {
                #expect(device.offered?.method == "pci-cfg-window")
                #expect(offered == qemu.modernView, "\(device.name) modern view")
                #expect(device.queues.map { $0 > 0 } == true, "\(device.name) queues")
            }
            if device.driver != nil {
                #expect(device.negotiatedFeatures.isSubset(of: qemu.hostFeatures), "\(device.name) negotiated ⊄ offered")
            }
        }
        // discard=off: DISCARD (13) not offered; a transitional rng with disable-modern=on is legacy.
        let block = try #require(evidence.devices.first { $0.deviceID == 2 })
        #expect(block.offered?.bits?.contains(13) == false)
        #expect(block.offered?.bits?.contains(14) == true)
        #expect(block.config?["capacity"] == .int(16 * 2048))
        #expect(block.config?["max_discard_sectors"] == nil)
        let rng = try #require(evidence.devices.first { $0.deviceID == 4 })
        #expect(rng.legacy == true && rng.offered?.method == "legacy-io-bar")
        #expect(evidence.devices.filter { $0.deviceID != 4 }.allSatisfy { $0.legacy == false })
        let ninep = try #require(evidence.devices.first { $0.deviceID == 9 })
        #expect(ninep.config?["mount_tag"] == .string("avps7"))

        // Probes: each measured something real.
        let blockProbe = try #require(probe("block.integrity", in: evidence))
        #expect(blockProbe.status == .ok && blockProbe.facts["verified"] == .bool(true), "\(blockProbe)")
        #expect(blockProbe.facts["flush_ok"] == .bool(true) && blockProbe.facts["zeroes_verified"] == .bool(true))
        #expect(blockProbe.facts["discard_ok"] == .bool(false))  // the device does not offer DISCARD
        let echo = try #require(probe("net.udp_echo", in: evidence))
        #expect(echo.facts["received"].flatMap(\.number).map { $0 > 0 } == true, "\(echo)")
        #expect((evidence.hostObservations["net.echo_peer.datagrams"]?.number ?? 0) > 0)
        #expect(probe("net.link", in: evidence)?.facts["carrier"] == .bool(true))
        let entropy = try #require(probe("entropy.rate", in: evidence))
        #expect((entropy.facts["bytes_per_second"]?.number ?? 0) > 0, "\(entropy)")
        #expect((entropy.facts["chi_square"]?.number ?? 1e9) < 400)
        // The device's rate, not the probe's polling: sleeping 5 ms per 64-byte answer made 16 KiB
        // take 1.1-1.3 s on a device that delivers it in ~0.05 s.
        #expect((entropy.facts["seconds"]?.number ?? 9) < 0.8, "\(entropy)")
        #expect(probe("input.caps", in: evidence)?.facts["name"] == .string("QEMU Virtio Keyboard"))
        #expect(probe("input.caps", in: evidence)?.facts["evdev_open"] == .bool(true))
        #expect(probe("gpu.modes", in: evidence)?.facts["edid_checksum_ok"] == .bool(true))
        #expect(probe("9p.fileops", in: evidence)?.facts["data_verified"] == .bool(true))
        #expect(probe("9p.fileops", in: evidence)?.facts["rename_ok"] == .bool(true))
        // The host's own end of each data path agrees: the pattern in the raw image (the last
        // quarter zeroed by the probe), the file in the share directory, every datagram at the peer.
        #expect(blockProbe.facts["host_verified"] == .bool(true), "\(blockProbe.facts)")
        #expect(probe("9p.fileops", in: evidence)?.facts["host_data_verified"] == .bool(true))
        #expect(echo.facts["host_lost"] == .int(0) && echo.facts["host_datagrams"] == .int(20), "\(echo.facts)")
        for key in ["AVPS2-STOR-05", "AVPS2-NET-05", "AVPS2-FS-03"] {
            let row = result.results.first { $0.key == key }
            #expect(row?.verdict == .pass && row?.basis == .hostCorroborated, "\(key): \(row.map { "\($0.verdict) \($0.reason)" } ?? "absent")")
        }
        let crypto = try #require(probe("crypto.cipher", in: evidence))
        #expect(crypto.facts["known_answer_ok"] == .bool(true), "\(crypto)")
        #expect(probe("balloon.stats", in: evidence)?.facts["num_pages"] == .int(0))
        let iommu = try #require(probe("iommu.groups", in: evidence))
        #expect(iommu.status == .unavailable && iommu.reason?.isEmpty == false)
        let ports = try #require(probe("console.ports", in: evidence))
        #expect(ports.facts["names"] == .list([.string("org.avps.agent.0")]))
        // The agent's own controller is not a console anyone else can use: not judged.
        #expect(ports.facts["data_ports"] == nil && ports.facts["not_applicable"] != nil, "\(ports)")
        #expect((evidence.hostObservations["boot_to_agent_seconds"]?.number ?? 0) > 0)
    }

    @Test("minimal guest: read-only disk detected, its write requirements NOT_APPLICABLE; probes of absent devices do not run, platform probes always do")
    func minimalGuest() async throws {
        let target = TargetSpec(name: "it-probes-minimal", accelerator: "tcg",
                                devices: [.block(sizeMiB: 8, readOnly: true)])
        let (result, evidence) = try await run(target)
        // A device that offers read-only is not a failed write: NOT_APPLICABLE with that reason.
        for key in ["AVPS2-STOR-05", "AVPS2-STOR-10"] {
            let row = try #require(result.results.first { $0.key == key })
            #expect(row.verdict == .notApplicable && row.reason.contains("VIRTIO_BLK_F_RO"), "\(key): \(row.verdict) \(row.reason)")
        }
        #expect(Set(evidence.probes.map(\.name)) == ["block.integrity", "console.ports", "platform.buses", "watchdog.basic"])
        let block = try #require(evidence.devices.first { $0.deviceID == 2 })
        #expect(block.offered?.bits?.contains(5) == true)  // VIRTIO_BLK_F_RO
        let blockProbe = try #require(probe("block.integrity", in: evidence))
        #expect(blockProbe.facts["read_only"] == .bool(true) && blockProbe.facts["write_refused"] == .bool(true), "\(blockProbe)")
        #expect(blockProbe.facts["read_ok"] == .bool(true))
    }
}
