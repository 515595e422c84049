import AVPSModel
import AVPSProfiles
import Foundation
@testable import HypervisorCore
@testable import QEMUHypervisor
@testable import SSHHypervisor
import Testing

/// What a watchdog, virtio-pmem and an emulated CAN controller add to the QEMU command line, exactly (the same text `--plan`
/// prints), and which devices the adapter withholds, asked of the real QEMU builds.
@Suite("watchdog and pmem command lines")
struct PlatformCommandLineTests {
    static let boot = BootArtifacts(kernel: "/k", initrd: "/i", kernelCommandLine: "console=ttyS0")
    static let paths = QEMUCommandLine.Paths(qmpSocket: "/w/q", agentSocket: "/w/a", serialLog: "/w/s", workspace: "/w")
    static let target = TargetSpec(name: "p", accelerator: "tcg", devices: [
        .block(sizeMiB: 8), .pmem(sizeMiB: 16), .watchdog(expiry: WatchdogExpiry()), .pmem(sizeMiB: 32), .emulatedCAN,
    ], agentChannel: .virtioSerial)

    /// The arguments from `first` on, as many as `expected` has.
    func slice(_ args: [String], from first: String, count: Int) -> [String] {
        guard let start = args.firstIndex(of: first) else { return [] }
        return Array(args[start..<min(args.count, start + count)])
    }

    @Test func goldenArguments() throws {
        let (args, expected) = try QEMUCommandLine.arguments(for: Self.target, accelerator: "tcg", boot: Self.boot, paths: Self.paths)
        #expect(slice(args, from: "-m", count: 2) == ["-m", "256,slots=2,maxmem=304M"])
        let tail = Array(args.drop { $0 != "-blockdev" })
        #expect(tail == [
            "-blockdev", "driver=file,filename=/w/disk0.raw,node-name=block0",
            "-device", "virtio-blk-pci,drive=block0,id=dev-block0",
            "-object", "memory-backend-file,id=pmem1,share=on,mem-path=/w/pmem1.img,size=16M",
            "-device", "virtio-pmem-pci,memdev=pmem1,id=dev-pmem1",
            "-device", "i6300esb,id=dev-watchdog2", "-watchdog-action", "reset",
            "-object", "memory-backend-file,id=pmem3,share=on,mem-path=/w/pmem3.img,size=32M",
            "-device", "virtio-pmem-pci,memdev=pmem3,id=dev-pmem3",
            "-object", "can-bus,id=emulated-can4bus", "-device", "kvaser_pci,canbus=emulated-can4bus,id=dev-emulated-can4",
        ])
        #expect(expected == [2, 3, 27, 27], "the watchdog is no virtio device")
        #expect(QEMUCommandLine.backingFiles(Self.target, Self.paths).map(\.path) == ["/w/disk0.raw", "/w/pmem1.img", "/w/pmem3.img"])
        #expect(QEMUCommandLine.backingFiles(Self.target, Self.paths).map(\.sizeMiB) == [8, 16, 32])
    }

    @Test func withheldDevicesLeaveNoTrace() throws {
        let (args, expected) = try QEMUCommandLine.arguments(for: Self.target, accelerator: "tcg", boot: Self.boot, paths: Self.paths,
                                                             omitting: ["pmem", "watchdog", "emulated-can"])
        #expect(slice(args, from: "-m", count: 2) == ["-m", "256"])
        #expect(!args.contains { $0.contains("pmem") || $0.contains("i6300esb") || $0.contains("can-bus") } && !args.contains("-watchdog-action"))
        #expect(expected == [2, 3])
        #expect(SSHRemotePlan.setupCommands(Self.target, paths: Self.paths).contains("truncate -s 16M /w/pmem1.img"))
    }

    @Test("x86_64 q35: QEMU 7.2 has every model; aarch64 (but its watchdog) and microvm: withheld with the reason, the launch still planned")
    func withholding() async throws {
        let adapter = QEMUAdapter(cacheDirectory: nil)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-test-platform-plan-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let x86 = try await adapter.prepare(Self.target, boot: Self.boot, artifactDirectory: scratch)
        adapter.discard(x86)
        #expect(x86.withheldDevices.isEmpty && x86.withheldPlatformDevices.isEmpty, "\(x86.withheldPlatformDevices)")
        #expect(x86.commandLine.contains("i6300esb,id=dev-watchdog2") && x86.commandLine.contains { $0.hasPrefix("kvaser_pci,") })

        let arm = TargetSpec(name: "a", accelerator: "tcg", devices: [.watchdog(expiry: nil), .pmem(sizeMiB: 16), .emulatedCAN, .entropy],
                             agentChannel: .virtioSerial, arch: .aarch64)
        let launch = try await adapter.prepare(arm, boot: Self.boot, artifactDirectory: scratch)
        adapter.discard(launch)
        #expect(launch.withheldPlatformDevices["watchdog"] == nil)  // virt's PCIe bus takes the i6300esb
        #expect(launch.commandLine.contains("i6300esb,id=dev-watchdog0"))
        #expect(launch.withheldDevices[27]?.contains("x86_64") == true)
        #expect(launch.withheldPlatformDevices["emulated-can"]?.contains("x86_64") == true)
        #expect(launch.expectedVirtioDevices == [3, 4])
        #expect(!launch.commandLine.contains { $0.contains("pmem") || $0.contains("kvaser") })

        let microvm = TargetSpec(name: "m", machine: "microvm", accelerator: "tcg", devices: [.watchdog(expiry: nil), .entropy],
                                 agentChannel: .virtioSerial, transport: .mmioModern)
        let small = try await adapter.prepare(microvm, boot: Self.boot, artifactDirectory: scratch)
        adapter.discard(small)
        #expect(small.withheldPlatformDevices["watchdog"] == "machine microvm has no PCI bus here, and avps's watchdog is a PCI device")
        #expect(!small.commandLine.contains { $0.contains("i6300esb") })
    }
}

@Suite("shipped platform-device suite")
struct PlatformSuiteFileTests {
    @Test func loadsWithTheDestructiveTestOn() throws {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/platform-devices.yaml"))
        let devices = try #require(suite.targets.first).devices
        #expect(devices == [.watchdog(expiry: WatchdogExpiry(seconds: 2)), .pmem(sizeMiB: 64), .emulatedCAN, .entropy])
    }
}
