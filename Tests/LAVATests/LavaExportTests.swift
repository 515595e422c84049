import AVPSModel
import AVPSProfiles
import Foundation
import HypervisorCore
import QEMUHypervisor
import ExternalHypervisor
import LAVA
import Testing

/// `avps lava export` from real launches (QEMUAdapter.prepare asks the real QEMU which devices its
/// build has), checked against golden files, the suite loader and lava-common's own schema.
/// Re-record after an intended change with `AVPS_RECORD_GOLDEN=1 swift test --filter LavaExportTests`.
@Suite(.serialized) struct LavaExportTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()
    static let golden = root.appendingPathComponent("Tests/LAVATests/Golden")
    static let boot = BootArtifacts(kernel: "/guest/vmlinux", initrd: "/guest/avps-initrd.cpio",
                                    kernelCommandLine: "console=ttyS0 panic=-1 quiet no_timer_check")

    static let q35 = TargetSpec(name: "qemu-q35-reference", adapter: "qemu", machine: "q35", memoryMiB: 256, cpus: 1,
                                accelerator: "tcg", devices: [.block(sizeMiB: 64), .net, .entropy, .console, .balloon, .watchdog()],
                                agentChannel: .virtioSerial)
    /// The agent over vsock: the job starts avps's vhost-user backend on the worker.
    static let q35Vsock = TargetSpec(name: "qemu-q35-vsock", adapter: "qemu", machine: "q35", memoryMiB: 256, cpus: 1,
                                     accelerator: "tcg", devices: [.entropy, .vsock], agentChannel: .vsock)
    static var aarch64: TargetSpec {
        var target = TargetSpec(name: "aarch64-virt-pci", adapter: "qemu", machine: "virt", memoryMiB: 256, cpus: 1,
                                accelerator: "tcg", devices: [.entropy, .block(sizeMiB: 16, discard: false), .legacy(.net)],
                                agentChannel: .virtioSerial)
        target.arch = .aarch64
        return target
    }

    static func lava(_ target: TargetSpec) async throws -> LavaTarget {
        setenv("AVPS_VSOCK", "user", 1)  // as `avps lava export` plans: never this host's kernel vhost-vsock
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-test-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let adapter = QEMUAdapter(cacheDirectory: nil)
        let launch = try await adapter.prepare(target, boot: boot, artifactDirectory: scratch)
        defer { adapter.discard(launch) }
        return try LavaTarget(launch: launch)
    }

    static func files(_ target: LavaTarget) throws -> [(String, String)] {
        let job = LavaJob(target: target, suite: "default", profiles: ["avps-2.0"], avpsVersion: "0.1.0",
                          imageBaseURL: "https://artifacts.example/avps/", dockerImage: "avps-worker:1")
        let dictionary = LavaDeviceDictionary(target: target, avps: "avps", suitePath: "/srv/lava/\(target.target.name)/suite.yaml",
                                              reportedStatuses: RunOutcome.verdictsReported.map(\.rawValue))
        return [
            ("\(target.target.name).jinja2", dictionary.render()),
            ("\(target.target.name).job.yaml", try job.render()),
            ("\(target.target.name).suite.yaml", try LavaAttachedSuite(target: target, suite: "default", profiles: ["avps-2.0"]).render()),
            ("\(target.target.name).dispatcher.yaml", try job.dispatcherSnippet()),
        ]
    }

    func expectGolden(_ name: String, _ text: String) throws {
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["AVPS_RECORD_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        let recorded = try String(contentsOf: url, encoding: .utf8)
        #expect(recorded == text, "\(name) differs from its golden file (AVPS_RECORD_GOLDEN=1 re-records)")
    }

    @Test func q35MatchesGoldenFiles() async throws {
        for (name, text) in try Self.files(try await Self.lava(Self.q35)) { try expectGolden(name, text) }
    }

    @Test func vsockMatchesGoldenFiles() async throws {
        for (name, text) in try Self.files(try await Self.lava(Self.q35Vsock)) { try expectGolden(name, text) }
    }

    @Test("vsock: the job's avps_prepare starts vsockd before QEMU boots and its undo stops it; QEMU gets the adapter's memfd and chardev")
    func vsockBackendStartedAndStoppedByTheJob() async throws {
        let lava = try await Self.lava(Self.q35Vsock)
        let backend = try #require(lava.vsockBackend)
        #expect(lava.agentOverVsock)
        let directory = "/run/avps-lava/avps-qemu-q35-vsock"
        #expect(backend.socket == directory + "/vhost-vsock.sock" && backend.uds == directory + "/vsock.sock" && backend.cid == 3)
        #expect(lava.extraOptions.contains("-object memory-backend-memfd,id=mem,size=256M,share=on"))
        #expect(lava.extraOptions.contains("-machine q35,memory-backend=mem"))
        #expect(lava.extraOptions.contains("-chardev socket,id=vsock0,path=\(backend.socket)"))
        #expect(lava.memory == "256", "the memfd backend's size is LAVA's -m")
        let dictionary = LavaDeviceDictionary(target: lava, avps: "/usr/bin/avps", suitePath: "/srv/suite.yaml", reportedStatuses: [0])
        let prepare = dictionary.prepareCommand
        let start = try #require(prepare.range(of: "setsid /usr/bin/avps vsockd --socket \(backend.socket) --uds \(backend.uds) --cid 3"))
        #expect(prepare.range(of: "rm -rf \(directory)")?.lowerBound ?? prepare.endIndex < start.lowerBound, "fresh directory first")
        #expect(prepare.contains("while [ ! -S \(backend.socket) ]"), "waits until the backend listens")
        let stop = try #require(dictionary.stopCommand)
        #expect(stop.contains("kill $p") && stop.contains("kill -9 $p") && stop.contains("rm -f \(backend.pidFile) \(backend.socket) \(backend.uds)"))
        #expect(stop.hasSuffix("; true'"), "a cleanup never fails the job")
        #expect(dictionary.render().contains("'undo': "))
        // Without vsock there is nothing to start or stop.
        let plain = LavaDeviceDictionary(target: try await Self.lava(Self.q35), avps: "avps", suitePath: "/s", reportedStatuses: [0])
        #expect(plain.stopCommand == nil && !plain.prepareCommand.contains("vsockd") && !plain.render().contains("undo"))
    }

    @Test func aarch64MatchesGoldenFiles() async throws {
        for (name, text) in try Self.files(try await Self.lava(Self.aarch64)) { try expectGolden(name, text) }
    }

    @Test func splitKeepsTheDevicesAndGivesLavaWhatItOwns() async throws {
        let lava = try await Self.lava(Self.q35)
        let options = lava.extraOptions.joined(separator: "\n")
        #expect(options.contains("-accel tcg") && options.contains("-machine q35"))
        #expect(options.contains("path=/run/avps-lava/avps-qemu-q35-reference/agent.sock"))
        #expect(options.contains("virtio-rng-pci") && options.contains("i6300esb"))
        for owned in ["-S", "-nodefaults", "-display ", "-serial ", "-m ", "-kernel ", "-initrd ", "-append "] {
            #expect(!lava.extraOptions.contains { $0 == owned || $0.hasPrefix(owned) }, "LAVA owns \(owned)")
        }
        #expect(!options.contains(FileManager.default.temporaryDirectory.path), "no private workspace path is left")
        #expect(lava.memory == "256")
        #expect(lava.images.map(\.key) == ["kernel", "initrd", "disk0"])
        #expect(lava.images[2].imageArg.contains("filename={disk0}"))
        #expect(lava.images[2].scratchSizeMiB == 64)
        #expect(lava.images[0].imageArg.hasPrefix("-kernel {kernel} -append \"console=ttyS0 panic=-1"))
    }

    @Test func attachedSuiteLoadsBackWithTheSameDevices() async throws {
        for target in [Self.q35, Self.aarch64, Self.q35Vsock] {
            let lava = try await Self.lava(target)
            let text = try LavaAttachedSuite(target: lava, suite: "default", profiles: ["avps-2.0"]).render()
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-suite-\(UUID().uuidString.prefix(8)).yaml")
            try Data(text.utf8).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let suite = try SuiteLoader.load(contentsOf: url)
            #expect(suite.targets.count == 1)
            // Over vsock the guest also has the qemu adapter's fallback virtio-serial controller, declared as a console.
            let shown = target.agentChannel == .vsock ? target.devices + [.console] : target.devices
            #expect(suite.targets.first?.devices == shown.map(LavaAttachedSuite.attached))
            #expect(suite.targets.first?.disksAreScratch == target.devices.contains { $0.blockSizeMiB != nil }, "LAVA deploys fresh disks: the worker's avps may write")
            #expect(suite.targets.first?.adapter == "external")
            #expect(suite.targets.first?.arch == target.arch)
            #expect(suite.targets.first?.external?.channel == (target.agentChannel == .vsock
                ? .hybridVsock(path: lava.socketDirectory + "/vsock.sock", port: 1024) : .unix(path: lava.agentSocket)))
            // Each console port's host end, where LAVA's QEMU creates it, so CON-04 is decided on the host.
            let consoles = target.devices.indices.filter { target.devices[$0] == .console }
            #expect(suite.targets.first?.external?.consolePorts?.count == (consoles.isEmpty ? nil : consoles.count))
            for index in consoles {
                #expect(suite.targets.first?.external?.consolePorts?["org.avps.console.\(index)"]
                        == "\(lava.socketDirectory)/console\(index).sock")
            }
        }
    }

    @Test func targetsLavaCannotBootAreRefusedByName() async throws {
        // The host kernel's vhost-vsock (a CID of this host) has no form on a worker.
        let scratchQEMU = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-kv-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratchQEMU) }
        let qemu = QEMUAdapter(cacheDirectory: nil)
        var kernelVsock = try await qemu.prepare(Self.q35, boot: Self.boot, artifactDirectory: scratchQEMU)
        defer { qemu.discard(kernelVsock) }
        kernelVsock.vsock = .kernelVsock(cid: 7)
        #expect(throws: LavaExportError.self) { try LavaTarget(launch: kernelVsock) }
        var external = Self.q35
        external.adapter = "external"
        external.external = ExternalSpec(start: ["true"], channel: .unix(path: "/x"))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-ext-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let adapter = ExternalAdapter()
        let launch = try await adapter.prepare(external, boot: Self.boot, artifactDirectory: scratch)
        defer { adapter.discard(launch) }
        #expect(throws: LavaExportError(target: "qemu-q35-reference",
                                        reason: "adapter external: LAVA export covers qemu targets (LAVA's qemu device type)")) {
            try LavaTarget(launch: launch)
        }
    }
}

/// Exported jobs against lava-common's own schema (Debian's `lava-common`, which ci/setup installs):
/// both must be valid, and broken variants must be refused at the right field.
@Suite(.serialized) struct LavaSchemaTests {
    static func job(_ target: TargetSpec, docker: String? = nil, autonomous: Bool = false) async throws -> String {
        let lava = try await LavaExportTests.lava(target)
        var job = LavaJob(target: lava, suite: "default", profiles: ["avps-2.0"], avpsVersion: "0.1.0",
                          imageBaseURL: "file:///srv/avps/", dockerImage: docker)
        job.autonomous = autonomous
        return try job.render()
    }

    static func check(_ text: String) async throws -> LavaSchemaCheck.Outcome {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-job-\(UUID().uuidString.prefix(8)).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return await LavaSchemaCheck.check(jobFile: url.path)
    }

    @Test func exportedJobsAreValid() async throws {
        for target in [LavaExportTests.q35, LavaExportTests.aarch64, LavaExportTests.q35Vsock] {
            #expect(try await Self.check(try await Self.job(target)) == .valid)
            #expect(try await Self.check(try await Self.job(target, docker: "avps-worker:1")) == .valid)
            #expect(try await Self.check(try await Self.job(target, autonomous: true)) == .valid)
        }
    }

    @Test func autonomousJobWatchesTheConsoleInsteadOfAttaching() async throws {
        let text = try await Self.job(LavaExportTests.q35, docker: "avps-worker:1", autonomous: true)
        try LavaExportTests().expectGolden("qemu-q35-reference.autonomous.job.yaml", text)
        #expect(!text.contains("avps_run"), "nothing on the worker attaches")
        #expect(text.contains("start: AVPS-EV1 0 E") && text.contains("end: AVPS-EV1-END"))
    }

    @Test(arguments: [
        ("media: tmpfs", "media: nfs", "actions[2]/boot/qemu/media"),
        ("metadata:", "context:\n  avps_profile: x\nmetadata:", "context/avps_profile"),
        ("    method: qemu\n", "    method: qemu\n    bogus_key: 1\n", "actions[2]/boot/qemu/bogus_key"),
    ])
    func brokenJobsAreRefusedAtTheirField(original: String, broken: String, path: String) async throws {
        for target in [LavaExportTests.q35, LavaExportTests.q35Vsock] {
            let text = try await Self.job(target)
            #expect(text.contains(original))
            let outcome = try await Self.check(text.replacingOccurrences(of: original, with: broken))
            guard case let .invalid(_, reported) = outcome else {
                Issue.record("\(target.name): expected invalid at \(path), got \(outcome)")
                continue
            }
            #expect(reported == path)
        }
    }
}
