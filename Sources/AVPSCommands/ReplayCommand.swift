import AVPSModel
import ArgumentParser
import Foundation
import Runner

/// `avps replay RUN_DIR --check KEY`: rerun one requirement on the same target, with the same
/// profile text and seed, into `RUN_DIR/replay/<KEY>-<time>/`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rerun one check of an earlier run on the same target, profile text and seed.")

    @Argument(help: "Run directory of the earlier run (it holds plan.json).")
    var runDirectory: String

    @Option(help: "Requirement key to rerun, e.g. AVPS2-RNG-01.")
    var check: String

    @Option(help: "Target name (needed when the run had several).")
    var target: String?

    @Option(help: "Seconds from guest start to the agent's ready event.")
    var bootTimeout: Double?

    @OptionGroup var guest: GuestOptions

    func run() async throws {
        let code = await Interruptible().run { await execute() }
        if code != .allMustPass { throw ExitCode(code.rawValue) }
    }

    private func execute() async -> RunOutcome {
        do {
            let directory = URL(fileURLWithPath: runDirectory)
            var plan = try RunPlan.read(from: directory)
            let recorded = try plan.loadProfiles()
            let attestations = try VerifiedAttestations.load(plan.attestations ?? [], profiles: recorded.map(\.profile),
                                                             targets: nil)
            let profiles = recorded.compactMap { loaded -> LoadedProfile? in
                var loaded = loaded
                loaded.profile.requirements = loaded.profile.requirements.filter { $0.key == check }
                return loaded.profile.requirements.isEmpty ? nil : loaded
            }
            guard !profiles.isEmpty else {
                throw ValidationError("no requirement \(check) in the run's profiles (\(plan.profiles.map(\.path).joined(separator: ", ")))")
            }
            plan.targets = [try SuiteSelection.one(of: plan.targets, named: target)]
            plan.retries = 0
            plan.jobs = 1
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let out = directory.appendingPathComponent("replay/\(check)-\(stamp)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            Console.info("replaying \(check) on \(plan.targets.map(\.name).joined()) with seed \(plan.seed) into \(out.path)")
            return try await RunExecution(plan: plan, profiles: profiles, resources: try await guest.resources(for: plan.targets),
                                          cacheRoot: guest.cacheRoot, bootTimeout: bootTimeout, attestations: attestations)
                .perform(into: out)
        } catch {
            return ErrorReporting.report(error)
        }
    }
}
