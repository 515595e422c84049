import AVPSModel
import Foundation
@testable import HypervisorCore
@testable import QEMUHypervisor
import Runner
import Testing

/// x86_64 `microvm`: virtio-mmio devices found through ACPI, offered bits read from the register
/// block equal QEMU's `x-query-virtio-status`, the agent over vsock (`vhost-user-vsock-device`).
@Suite("x86_64 microvm on virtio-mmio", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct MicrovmGuestTests {
    static let devices: [DeviceSpec] = [.block(sizeMiB: 16, discard: false), .net, .entropy, .balloon]

    @Test("command line: microvm, virtio-*-device, and under TCG the TSC rate so the PIT is not needed")
    func commandLine() throws {
        let boot = BootArtifacts(kernel: "/k", initrd: "/i", kernelCommandLine: "console=ttyS0")
        let paths = QEMUCommandLine.Paths(qmpSocket: "/w/q", agentSocket: "/w/a", serialLog: "/w/s", workspace: "/w")
        let target = TargetSpec(name: "m", machine: "microvm", accelerator: "tcg", devices: Self.devices,
                                agentChannel: .virtioSerial, transport: .mmioModern)
        let tcg = try QEMUCommandLine.arguments(for: target, accelerator: "tcg", boot: boot, paths: paths).arguments
        // No legacy 8259: Linux never programs it on microvm (a stray vector 0 panicked QEMU 10 guests).
        #expect(tcg.contains("microvm,pic=off") && tcg.contains { $0.hasPrefix("virtio-blk-device,") } && !tcg.contains { $0.contains("-pci") })
        #expect(tcg.contains("virtio-mmio.force-legacy=false"))
        #expect(tcg.contains { $0.hasPrefix("console=ttyS0 tsc_early_khz=1000000") })
        let kvm = try QEMUCommandLine.arguments(for: target, accelerator: "kvm", boot: boot, paths: paths).arguments
        #expect(!kvm.contains { $0.contains("tsc_early_khz") })
        var pci = target
        pci.transport = .pci
        #expect(throws: HypervisorError.self) { try QEMUCommandLine.arguments(for: pci, accelerator: "tcg", boot: boot, paths: paths) }
    }

    private func run(_ name: String, _ transport: DeviceTransport) async throws -> (TargetSpec, Evidence) {
        let target = TargetSpec(name: name, machine: "microvm", accelerator: "tcg", devices: Self.devices, transport: transport)
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        // AVPS2-GEN-05: every device on virtio-mmio (v1 or v2) sits on a standard transport.
        let transport = try #require(result.results.first { $0.key == "AVPS2-GEN-05" })
        #expect(transport.verdict == .pass && transport.evidence.allSatisfy { $0.hasSuffix("transport mmio") }, "\(transport)")
        #expect(result.commandLine.contains { $0.hasPrefix("microvm,pic=off") })
        #expect(processesMentioning("avps-\(name)").isEmpty)
        return (target, try #require(result.evidence))
    }

    @Test("virtio-mmio Version 2 over ACPI: transport mmio, modern, offered = QEMU's modern view; agent over vsock")
    func modern() async throws {
        let (target, evidence) = try await run("it-microvm-mmio2", .mmioModern)
        #expect(evidence.devices.map(\.deviceID).sorted() == [1, 2, 3, 4, 5, 19])
        let qemu = qemuHostFeatures(target, evidence, byPCIAddress: false)
        #expect(qemu.count == 6, "\(evidence.hostObservations.keys.sorted())")
        for device in evidence.devices {
            #expect(device.transport == .mmio && device.transportVersion == 2 && device.legacy == false, "\(device.name)")
            #expect(device.busAddress?.hasPrefix("LNRO0005:") == true, "\(device.name): \(device.busAddress ?? "")")
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            #expect(device.offered?.method == "mmio-registers")
            let oracle = try #require(qemu["id\(device.deviceID)"], "\(device.name)")
            #expect(offered == oracle.modernView, "\(device.name) modern view")
            #expect(device.queues != nil && device.queues == oracle.queueCount, "\(device.name) queues \(device.queues ?? -1)")
        }
        let block = try #require(evidence.devices.first { $0.deviceID == 2 })
        #expect(block.offered?.bits?.contains(13) == false)  // discard=off
        #expect(block.config?["capacity"] == .int(16 * 2048))
    }

    @Test("virtio-mmio Version 1 (QEMU's default): legacy devices, offered = QEMU's legacy view")
    func legacy() async throws {
        let (target, evidence) = try await run("it-microvm-mmio1", .mmio)
        let qemu = qemuHostFeatures(target, evidence, byPCIAddress: false)
        #expect(qemu.count == 6, "\(evidence.hostObservations.keys.sorted())")
        for device in evidence.devices {
            #expect(device.transport == .mmio && device.transportVersion == 1 && device.legacy == true, "\(device.name)")
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            let oracle = try #require(qemu["id\(device.deviceID)"], "\(device.name)")
            #expect(offered == oracle.legacyView, "\(device.name) legacy view")
            #expect(device.queues != nil && device.queues == oracle.queueCount, "\(device.name) queues \(device.queues ?? -1)")
            #expect(!offered.contains(32))
        }
    }
}
