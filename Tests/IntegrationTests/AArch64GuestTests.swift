import AVPSModel
import Foundation
@testable import HypervisorCore
@testable import QEMUHypervisor
import Runner
import Testing

/// aarch64 reference guests under `qemu-system-aarch64 -M virt -cpu max` (TCG): the inventory
/// names the transport, and the offered bits the agent reads from the transport equal QEMU's own
/// `x-query-virtio-status` host-features (an oracle independent of the agent).
@Suite("aarch64 guests on virtio-mmio and PCI", .guestSlot(minutes: 8), .timeLimit(.minutes(20)))
struct AArch64GuestTests {
    /// Devices whose type appears once, so QEMU's entry and the agent's are matched by device id.
    /// The console adds a named data port on the agent's virtio-serial device (no device of its own).
    static let devices: [DeviceSpec] = [.block(sizeMiB: 16, discard: false), .net, .entropy, .balloon, .console]

    @Test("command line: virt, -cpu max, virtio-*-device for mmio; force-legacy=false for mmio-modern")
    func commandLines() throws {
        let boot = BootArtifacts(kernel: "/k", initrd: "/i", kernelCommandLine: "console=ttyAMA0")
        let paths = QEMUCommandLine.Paths(qmpSocket: "/w/q", agentSocket: "/w/a", serialLog: "/w/s", workspace: "/w")
        let mmio = TargetSpec(name: "m", accelerator: "tcg", devices: Self.devices, agentChannel: .virtioSerial,
                              arch: .aarch64, transport: .mmio)
        let (args, expected) = try QEMUCommandLine.arguments(for: mmio, accelerator: "tcg", boot: boot, paths: paths)
        #expect(args.contains("virt") && args.contains("max,pauth-impdef=on") && !args.contains("q35"))
        #expect(args.contains { $0.hasPrefix("virtio-blk-device,") } && args.contains { $0.hasPrefix("virtio-serial-device,") })
        #expect(!args.contains { $0.contains("-pci") } && !args.contains("virtio-mmio.force-legacy=false"))
        #expect(expected == [1, 2, 3, 4, 5])
        var modern = mmio
        modern.transport = .mmioModern
        #expect(try QEMUCommandLine.arguments(for: modern, accelerator: "tcg", boot: boot, paths: paths)
            .arguments.contains("virtio-mmio.force-legacy=false"))
        var pci = mmio
        pci.transport = .pci
        #expect(try QEMUCommandLine.arguments(for: pci, accelerator: "tcg", boot: boot, paths: paths)
            .arguments.contains { $0.hasPrefix("virtio-blk-pci,") })
        var iommu = mmio
        iommu.devices = [.iommu]
        #expect(throws: HypervisorError.self) { try QEMUCommandLine.arguments(for: iommu, accelerator: "tcg", boot: boot, paths: paths) }
        var wrongMachine = mmio
        wrongMachine.machine = "q35"
        #expect(throws: HypervisorError.self) { try QEMUCommandLine.arguments(for: wrongMachine, accelerator: "tcg", boot: boot, paths: paths) }
    }

    private func run(_ name: String, _ transport: DeviceTransport) async throws -> (TargetSpec, Evidence) {
        let target = TargetSpec(name: name, accelerator: "auto", devices: Self.devices, agentChannel: .virtioSerial,
                                arch: .aarch64, transport: transport)
        let (outcome, _) = try await runTarget(target, bootTimeout: .seconds(300), controlTimeout: .seconds(60))
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        #expect(result.accelerator == "tcg")
        #expect(result.commandLine.first?.hasSuffix("qemu-system-aarch64") == true)
        #expect(processesMentioning("avps-\(name)").isEmpty)
        return (target, try #require(result.evidence))
    }

    @Test("virtio-mmio (QEMU default, Version 1): transport mmio, legacy, offered = QEMU's legacy view")
    func mmioLegacy() async throws {
        let (target, evidence) = try await run("it-arm-mmio1", .mmio)
        #expect(evidence.devices.map(\.deviceID).sorted() == [1, 2, 3, 4, 5])
        let qemu = qemuHostFeatures(target, evidence, byPCIAddress: false)
        #expect(qemu.count == 5, "\(evidence.hostObservations.keys.sorted())")
        for device in evidence.devices {
            #expect(device.transport == .mmio && device.busAddress?.hasSuffix(".virtio_mmio") == true, "\(device.name)")
            #expect(device.transportVersion == 1 && device.legacy == true, "\(device.name)")
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            #expect(device.offered?.method == "mmio-registers")
            let oracle = try #require(qemu["id\(device.deviceID)"], "\(device.name)")
            #expect(offered == oracle.legacyView, "\(device.name) legacy view")
            #expect(device.queues != nil && device.queues == oracle.queueCount, "\(device.name) queues \(device.queues ?? -1)")
            #expect(!offered.contains(32))  // a legacy device never offers VERSION_1
            if device.driver != nil { #expect(device.negotiatedFeatures.isSubset(of: oracle.hostFeatures)) }
        }
        let block = try #require(evidence.devices.first { $0.deviceID == 2 })
        #expect(block.offered?.bits?.contains(13) == false)  // discard=off
        #expect(block.config?["capacity"] == .int(16 * 2048))
        try expectConsoleTransfer(evidence)
    }

    /// The agent's seeded bytes arrived whole at the port's host-side socket.
    private func expectConsoleTransfer(_ evidence: Evidence) throws {
        let transfer = try #require(evidence.probes.first { $0.name == "console.transfer" })
        #expect(transfer.status == .ok, "\(transfer)")
        #expect(transfer.facts["port"] == .string("org.avps.console.4"))
        #expect(transfer.facts["bytes_written"] == .int(65536), "\(transfer)")
        #expect(transfer.facts["host_bytes_received"] == .int(65536) && transfer.facts["host_pattern_ok"] == .bool(true), "\(transfer)")
    }

    @Test("virtio-mmio Version 2: transport mmio, modern, offered = QEMU's modern view")
    func mmioModern() async throws {
        let (target, evidence) = try await run("it-arm-mmio2", .mmioModern)
        let qemu = qemuHostFeatures(target, evidence, byPCIAddress: false)
        #expect(qemu.count == 5)
        for device in evidence.devices {
            #expect(device.transport == .mmio && device.transportVersion == 2 && device.legacy == false, "\(device.name)")
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            let oracle = try #require(qemu["id\(device.deviceID)"], "\(device.name)")
            #expect(offered == oracle.modernView, "\(device.name) modern view")
            #expect(device.queues != nil && device.queues == oracle.queueCount, "\(device.name) queues \(device.queues ?? -1)")
            #expect(offered.contains(32))
        }
        let block = try #require(evidence.devices.first { $0.deviceID == 2 })
        #expect(block.config?["capacity"] == .int(16 * 2048))
    }

    @Test("PCI on virt: transport pci, offered = QEMU's modern view")
    func pci() async throws {
        let (target, evidence) = try await run("it-arm-pci", .pci)
        let qemu = qemuHostFeatures(target, evidence, byPCIAddress: true)
        #expect(qemu.count == 5, "\(evidence.hostObservations.keys.sorted())")
        for device in evidence.devices {
            #expect(device.transport == .pci && device.transportVersion == nil && device.legacy == false, "\(device.name)")
            let offered = try #require(device.offered?.bits, "\(device.name): \(device.offered?.unavailableReason ?? "")")
            #expect(device.offered?.method == "pci-cfg-window")
            let oracle = try #require(qemu[device.busAddress ?? ""], "\(device.name)")
            #expect(offered == oracle.modernView, "\(device.name) modern view")
            #expect(device.queues != nil && device.queues == oracle.queueCount, "\(device.name) queues \(device.queues ?? -1)")
        }
        try expectConsoleTransfer(evidence)
    }
}

/// A kernel that forbids /dev/mem access to driver-claimed ranges must yield "unavailable" with
/// the kernel's reason, never a guess: `iomem=strict` after the reference guest's
/// `iomem=relaxed` turns CONFIG_IO_STRICT_DEVMEM back on.
@Suite("aarch64 virtio-mmio with strict /dev/mem", .guestSlot(minutes: 8), .timeLimit(.minutes(20)))
struct AArch64StrictDevmemTests {
    @Test func offeredIsUnavailableWithTheReason() async throws {
        let target = TargetSpec(name: "it-arm-strict", accelerator: "tcg", devices: [.entropy], agentChannel: .virtioSerial,
                                kernelAppend: ["iomem=strict"], arch: .aarch64, transport: .mmio)
        let (outcome, _) = try await runTarget(target, bootTimeout: .seconds(300), controlTimeout: .seconds(60))
        let result = try #require(outcome.results.first)
        let evidence = try #require(result.evidence, "\(result.infraError ?? "")")
        #expect(evidence.devices.count == 2)
        for device in evidence.devices {
            #expect(device.transport == .mmio)
            #expect(device.offered?.bits == nil && device.offered?.method == nil, "\(device.name)")
            let reason = device.offered?.unavailableReason ?? ""
            #expect(reason.contains("/dev/mem") && reason.contains("IO_STRICT_DEVMEM"), "\(reason)")
            #expect(device.transportVersion == nil && device.config == nil)
        }
    }
}
