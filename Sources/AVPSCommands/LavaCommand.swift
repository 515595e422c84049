import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation
import GuestImage
import LAVA
import Runner

/// `avps lava …`: LAVA as a back end. LAVA boots and schedules; avps drives the agent and scores.
struct LavaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lava",
        abstract: "Export suites as LAVA jobs (LAVA boots the guest, avps attaches and scores).",
        subcommands: [LavaExportCommand.self])
}

/// `avps lava export SUITE --out DIR`: per qemu target, a LAVA device dictionary, a job, the
/// attached suite `avps_run` runs on the worker, and the images the job deploys. Jobs are checked
/// with lava-common's schema when Debian's `lava-common` is installed; the output says which.
///
/// Exit codes: 0 exported (and valid, or not checked: said so), 2 bad suite, a target that cannot
/// be exported, or a job lava-common rejects.
struct LavaExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write LAVA device dictionaries, jobs and attached suites for a suite's qemu targets.")

    @Argument(help: "The suite to export (default: Suites/default.yaml).")
    var suite: String?

    @Option(help: "Output directory (one subdirectory per target).")
    var out: String

    @Option(help: "The avps the LAVA worker runs (default: avps on its PATH, e.g. the installed package).")
    var avps = "avps"

    @Option(help: "Base URL the worker fetches images from (default: file:// of the export directory).")
    var imageBaseURL: String?

    @Option(help: "A docker image with avps for the test shell that turns results into one LAVA test case per requirement.")
    var dockerImage: String?

    @Option(help: "Seconds the worker's avps waits for the LAVA-booted guest's agent (avps run --boot-timeout).")
    var bootTimeout: Int?

    @Flag(help: "Jobs for the autonomous agent: the plan goes into the initramfs, the job watches the console, and `avps score --from-console` scores the job log (no avps on the worker).")
    var autonomous = false

    @OptionGroup var guest: GuestOptions

    func run() async throws {
        let code = await export()
        if code != 0 { throw ExitCode(code) }
    }

    private func export() async -> Int32 {
        do {
            let loaded = try SuiteLoader.load(contentsOf: try SuiteSelection.suiteURL(suite))
            // LAVA workers run TCG unless a device says otherwise; never probe this host's KVM for them.
            // vsock is avps's own vhost-user backend, which the job starts on the worker (never this
            // host's kernel vhost-vsock). An autonomous job runs nothing of avps on the worker: no vsock.
            setenv("AVPS_VSOCK", "user", 1)
            // A LAVA job boots one device: a system of several guests has no LAVA form (docs/lava.md).
            for system in loaded.targets where system.isSystem {
                Console.info("\(system.name): a system of \(system.vms.count) VMs is not exported (a LAVA job boots one guest)")
            }
            let targets = loaded.targets.filter { !$0.isSystem }.map { target -> TargetSpec in
                var target = target
                if target.accelerator == "auto" { target.accelerator = "tcg" }
                if autonomous { target.kernelAppend.append("avps.autonomous") }
                if autonomous, target.agentChannel == .auto, target.adapter == "qemu", !target.devices.contains(.vsock) {
                    target.agentChannel = .virtioSerial
                    Console.info("\(target.name): autonomous: agent over virtio-serial and no vsock device (the job starts "
                        + "no vsock backend); the vsock requirements cannot pass in this job")
                }
                return target
            }
            if autonomous, let vsock = targets.first(where: { $0.agentChannel == .vsock || $0.devices.contains(.vsock) }) {
                throw LavaExportError(target: vsock.name, reason: "an autonomous job starts no vsock backend on the worker; "
                    + "export it without --autonomous, or without vsock")
            }
            let resources = try await guest.resources(for: targets)
            let planner = resources.planner(cacheDirectory: guest.cacheRoot)
            var writerOptions = LavaExportWriter.Options(
                suite: loaded.name, profiles: loaded.profiles, avpsVersion: AVPSCommand.version,
                reportedStatuses: RunOutcome.verdictsReported.map(\.rawValue))
            writerOptions.avps = avps
            writerOptions.imageBaseURL = imageBaseURL
            writerOptions.dockerImage = dockerImage
            writerOptions.bootTimeoutSeconds = bootTimeout
            writerOptions.autonomous = autonomous
            let writer = LavaExportWriter(options: writerOptions)
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lava-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: scratch) }
            var status: Int32 = 0
            for target in targets {
                let launch = try await planner.preparedLaunch(target, scratch: scratch)
                defer { planner.discard(launch) }
                var lava = try LavaTarget(launch: launch)
                if autonomous { lava = try withPlan(lava, scratch: scratch) }
                let job = try writer.write(lava, into: directory)
                switch await LavaSchemaCheck.check(jobFile: job.path) {
                case .valid:
                    print("\(target.name): \(job.path) (valid for lava-common, strict)")
                case let .invalid(message, path):
                    Console.error("\(job.path): LAVA rejects the job at \(path.isEmpty ? "(top level)" : path): \(message)")
                    status = RunOutcome.usageError.rawValue
                case let .unavailable(reason):
                    print("\(target.name): \(job.path) (not validated: \(reason))")
                }
            }
            return status
        } catch let error as LavaExportError {
            Console.error(error.description)
            return RunOutcome.usageError.rawValue
        } catch {
            return ErrorReporting.report(error).rawValue
        }
    }

    /// The target with its initramfs replaced by a copy that holds the autonomous plan.
    private func withPlan(_ lava: LavaTarget, scratch: URL) throws -> LavaTarget {
        var lava = lava
        guard let index = lava.images.firstIndex(where: { $0.key == "initrd" }) else {
            throw LavaExportError(target: lava.target.name, reason: "no initramfs to put the autonomous plan into")
        }
        let plan = try AutonomousScoring.plan(for: lava.target).joined(separator: "\n") + "\n"
        let source = URL(fileURLWithPath: lava.images[index].source)
        let combined = scratch.appendingPathComponent(source.deletingPathExtension().lastPathComponent + "-autonomous.cpio")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try AutonomousPlanFile.appended(to: try Data(contentsOf: source), plan: Data(plan.utf8)).write(to: combined)
        lava.images[index].source = combined.path
        return lava
    }
}
