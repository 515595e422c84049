import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation
import GuestImage
import HypervisorCore
import Reports
import Runner

/// `avps run [SUITE]`: boot every target of a suite, score its profiles, write the reports.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Boot the targets of a suite, score their profiles, and write results.json, junit.xml and report.html.",
        discussion: """
            With no SUITE, runs Suites/default.yaml: the reference guest under QEMU against the default profile.

            Exit codes (the run's conformance outcome; SHOULD deviations and MAY features not offered never change it):
            \(RunOutcome.table.map { "  \($0.code)  \($0.meaning)" }.joined(separator: "\n"))
            """)

    @Argument(help: "Suite file (default: Suites/default.yaml in the project).")
    var suite: String?

    @Option(name: .customLong("profile"), help: "Profile name under Profiles/ or a path; repeatable. Overrides the suite's profiles.")
    var profiles: [String] = []

    @Option(help: "Run directory (default: Reports/runs/<UTC timestamp>).")
    var out: String?

    @Option(help: "Accelerator for every target: auto, kvm or tcg (overrides the suite).")
    var accel: String?

    @Option(help: "Seconds from guest start to the agent's ready event (default: 90 under TCG, 30 under KVM).")
    var bootTimeout: Double?

    @Option(help: "Seconds the whole run may take; then guests are shut down and the rest reported as INFRA.")
    var runTimeout: Double?

    @Option(name: .customLong("append"), help: "Extra kernel command-line word for every target; repeatable.")
    var kernelAppend: [String] = []

    @Option(help: "Targets examined at once (default: one per host core).")
    var jobs: Int = SuiteRunOptions.defaultJobs

    @Option(help: "Extra attempts for a target that had a FAIL, ERROR or INFRA; a later pass is FLAKY, never PASS.")
    var retries: Int = 0

    @Option(help: "Master seed for every random input of the run (default: random, recorded in results.json).")
    var seed: UInt64?

    @Option(help: "Run only shard I of N (1-based, e.g. 2/4): targets whose position modulo N is I-1.")
    var shard: Shard?

    @Option(help: "Continue a run that was interrupted or crashed: finished targets (from its journal) are kept, the rest run with the same plan and seed.")
    var resume: String?

    @Flag(help: "Print every target x requirement as RUN, NOT_APPLICABLE or UNTESTED with the exact command line; start nothing.")
    var plan = false

    @Option(help: "Progress on stderr: auto (live on a terminal, plain in CI or a pipe), live or plain.")
    var progress: ProgressStyle = .auto

    @OptionGroup var attestation: AttestationOptions

    @OptionGroup var guest: GuestOptions

    func run() async throws {
        let interruptible = Interruptible(timeout: runTimeout.map { .milliseconds(Int($0 * 1000)) })
        let code = await interruptible.run { await execute() }
        if code != .allMustPass { throw ExitCode(code.rawValue) }
    }

    private func execute() async -> RunOutcome {
        let root = ProjectLocator.root()
        do {
            if let resume { return try await resumeRun(URL(fileURLWithPath: resume)) }
            let loadedSuite = try SuiteLoader.load(contentsOf: try SuiteSelection.suiteURL(suite))
            let profileNames = profiles.isEmpty ? loadedSuite.profiles : profiles
            let loadedProfiles = try profileNames.map { name in
                try LoadedProfile.load(ProjectLocator.profileURL(name, root: root))
            }
            let targets = try (shard?.select(loadedSuite.targets) ?? loadedSuite.targets).map(applyOverrides)
            // Verified before anything is built or booted: a refused attestation costs no guest.
            let attestations = try VerifiedAttestations.load(loadedSuite.attestations + attestation.sources(),
                                                             profiles: loadedProfiles.map(\.profile),
                                                             targets: loadedSuite.targets.map(\.name))
            let resources = try await guest.resources(for: targets)
            if plan {
                try await printPlan(resources.planner(cacheDirectory: guest.cacheRoot), targets: targets, profiles: loadedProfiles)
                return .allMustPass
            }
            let runDirectory = try makeRunDirectory()
            Console.info("run directory: \(runDirectory.path)")
            let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            Console.info("seed: \(seed) (repeat with --seed \(seed))")
            var runPlan = RunPlan(toolVersion: AVPSCommand.version, suiteName: loadedSuite.name, targets: targets,
                                  profiles: loadedProfiles.map(\.reference), seed: seed, jobs: jobs, retries: retries)
            runPlan.attestations = attestations.files.isEmpty ? nil : attestations.sources
            return try await RunExecution(plan: runPlan, profiles: loadedProfiles, resources: resources,
                                          cacheRoot: guest.cacheRoot, bootTimeout: bootTimeout, progress: progress,
                                          attestations: attestations)
                .perform(into: runDirectory)
        } catch {
            return ErrorReporting.report(error)
        }
    }

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard retries >= 0 else { throw ValidationError("--retries must not be negative") }
    }

    private func applyOverrides(_ target: TargetSpec) throws -> TargetSpec {
        var target = target
        if let accel {
            guard ["auto", "kvm", "tcg"].contains(accel) else {
                throw ValidationError("--accel must be auto, kvm or tcg (got \(accel))")
            }
            target.accelerator = accel
        }
        target.kernelAppend += kernelAppend
        target.vms = try target.vms.map(applyOverrides)
        return target
    }

    private func makeRunDirectory() throws -> URL {
        let url: URL
        if let out {
            url = URL(fileURLWithPath: out)
        } else {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let workingDirectory = FileManager.default.currentDirectoryPath
            let base = URL(fileURLWithPath: DataDirectory.current?.runsDirectory(workingDirectory: workingDirectory)
                ?? workingDirectory + "/Reports/runs")
            url = base.appendingPathComponent(formatter.string(from: Date()))
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunnerError.usage("cannot create run directory \(url.path): \(error.localizedDescription)")
        }
        return url
    }
}
