import AVPSModel
import Foundation
import FoundationXML
import HypervisorCore
import LibvirtHypervisor
import Runner
import Testing

/// The libvirt adapter against a real libvirtd (`ci/libvirtd start`; CI starts it in `ci/test`).
/// Each test's target name is unique, so the leftover checks see only its own domains and QEMUs.
@Suite("libvirt adapter", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct LibvirtAdapterTests {
    @Test("the reference guest through libvirt sees the same devices and features as through the QEMU adapter")
    func libvirtMatchesQEMU() async throws {
        try await LibvirtDaemon.ensureRunning()
        let devices: [DeviceSpec] = [.entropy, .block(sizeMiB: 16), .net, .console, .balloon, .keyboard]
        // The libvirt disk is declared scratch, so the write tests run through libvirt too.
        var libvirtDevices = devices
        libvirtDevices[1] = .block(sizeMiB: 16, scratch: true)
        let viaLibvirt = TargetSpec(name: "it-libvirt", adapter: "libvirt", accelerator: "tcg", devices: libvirtDevices)
        let direct = TargetSpec(name: "it-libvirt-direct", accelerator: "tcg", devices: devices,
                                agentChannel: .virtioSerial)  // libvirt here offers no vsock device
        async let libvirtRun = runTarget(viaLibvirt)
        async let qemuRun = runTarget(direct)
        let (libvirtOutcome, _) = try await libvirtRun
        let (qemuOutcome, _) = try await qemuRun
        let seenLibvirt = try AdapterInteropTests().inventory(libvirtOutcome)
        let seenQEMU = try AdapterInteropTests().inventory(qemuOutcome)
        #expect(seenLibvirt.keys.sorted() == [1, 2, 3, 4, 5, 18])
        #expect(seenLibvirt == seenQEMU)
        #expect(libvirtOutcome.expectedVirtioDevices == qemuOutcome.expectedVirtioDevices)
        let result = try #require(libvirtOutcome.results.first)
        #expect(result.commandLine.first == "libvirt" && result.commandLine.count == 3)
        #expect(result.accelerator == "tcg")
        for key in ["AVPS2-STOR-05", "AVPS2-STOR-10"] {
            let row = result.results.first { $0.key == key }
            #expect(row?.verdict == .pass, "\(key) on a scratch disk through libvirt: \(row?.reason ?? "absent")")
        }
        let xml = try XMLDocument(xmlString: result.commandLine[2])
        #expect(try xml.nodes(forXPath: "/domain/devices/channel/target/@name").first?.stringValue == "org.avps.agent.0")
        try await LibvirtDaemon.expectNothingLeft("avps-it-libvirt", workspaceOf: result.commandLine)
    }

    @Test("a libvirtd that is not there (bogus URI) is INFRA naming the socket, through avps run")
    func daemonNotRunning() async throws {
        let directory = try Paths.temporaryDirectory("lv-nodaemon")
        defer { try? FileManager.default.removeItem(at: directory) }
        let suite = try LibvirtDaemon.suite(named: "it-lv-nodaemon", devices: "[entropy]", in: directory)
        let run = try await LibvirtDaemon.avps(["run", suite.path, "--out", directory.appendingPathComponent("run").path],
                                         environment: ["AVPS_LIBVIRT_URI": "qemu:///system?socket=/nonexistent/avps-libvirt-sock"])
        #expect(run.status == RunOutcome.infrastructure.rawValue, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("INFRA: stage 'libvirt connected' failed"), "\(run.stdout)")
        #expect(run.stdout.contains("/nonexistent/avps-libvirt-sock") && run.stdout.contains("is libvirtd running"), "\(run.stdout)")
        #expect(processesMentioning("avps-it-lv-nodaemon").isEmpty)
    }

    @Test("a domain libvirt cannot start (memory QEMU cannot allocate) is INFRA with libvirt's reason, nothing left")
    func domainRejected() async throws {
        try await LibvirtDaemon.ensureRunning()
        let target = TargetSpec(name: "it-lv-rejected", adapter: "libvirt", memoryMiB: 16 << 20, accelerator: "tcg",
                                devices: [.entropy])
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'hypervisor started' failed") && infra.contains("cannot create domain avps-it-lv-rejected"), "\(infra)")
        #expect(infra.contains("cannot set up guest memory"), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        try await LibvirtDaemon.expectNothingLeft("avps-it-lv-rejected", workspaceOf: result.commandLine)
    }

    @Test("a device libvirt cannot express is a usage error naming it; nothing is planned or started")
    func unsupportedDevice() async throws {
        let target = TargetSpec(name: "it-lv-gpu", adapter: "libvirt", devices: [.entropy, .gpu])
        await #expect {
            _ = try await runTarget(target)
        } throws: { error in
            guard case RunnerError.usage(let message) = error else { return false }
            return message.contains("unsupported") && message.contains("gpu") && message.contains("it-lv-gpu")
        }
        #expect(processesMentioning("avps-it-lv-gpu").isEmpty)
    }

    @Test("every string reaches the domain XML escaped: markup in kernel_append stays text")
    func xmlEscaping() async throws {
        let hostile = "avps.note=<x>&amp;'\"</domain>"
        let target = TargetSpec(name: "it-lv-xml", adapter: "libvirt", devices: [.entropy], kernelAppend: [hostile])
        let boot = BootArtifacts(kernel: "/k&<ernel>", initrd: "/initrd", kernelCommandLine: "console=ttyS0")
        let adapter = LibvirtAdapter(uri: "test:///default")
        let launch = try await adapter.prepare(target, boot: boot, artifactDirectory: URL(fileURLWithPath: "/tmp/lv-xml"))
        defer { adapter.discard(launch) }
        let xml = try XMLDocument(xmlString: launch.commandLine[2])
        #expect(try xml.nodes(forXPath: "/domain/os/cmdline").first?.stringValue == "console=ttyS0 \(hostile)")
        #expect(try xml.nodes(forXPath: "/domain/os/kernel").first?.stringValue == "/k&<ernel>")
        #expect(try xml.nodes(forXPath: "/domain/devices/*").count == 5)  // serial, usb none, channel, rng, memballoon none
        #expect(launch.expectedVirtioDevices == [3, 4])
    }
}
