import AVPSModel
import Foundation
import Hypervisors
import Scoring

/// Runs every target of a plan, one after another, into one run directory.
///
/// Targets are independent: one target's INFRA does not stop the next. Cancellation (SIGINT)
/// stops after the current target has been torn down; the targets not reached are reported as INFRA
/// so the record says what was not examined.
public struct SuiteRun: Sendable {
    public var targets: [TargetSpec]
    public var profiles: [LoadedProfile]
    public var runner: TargetRunner
    public var runDirectory: URL
    public var toolVersion: String

    public init(targets: [TargetSpec], profiles: [LoadedProfile], runner: TargetRunner, runDirectory: URL,
                toolVersion: String) {
        self.targets = targets
        self.profiles = profiles
        self.runner = runner
        self.runDirectory = runDirectory
        self.toolVersion = toolVersion
    }

    /// - Parameter progress: one line per event, for the console.
    public func execute(progress: @Sendable (String) -> Void) async throws(RunnerError) -> RunResult {
        let started = Date()
        var results: [TargetResult] = []
        for target in targets {
            if Task.isCancelled {
                results += profiles.map { notReached(target, $0) }
                continue
            }
            progress("booting \(target.name) (\(target.devices.map(\.kind).joined(separator: ", ")))")
            let outcome = try await runner.run(
                target, profiles: profiles,
                artifactDirectory: runDirectory.appendingPathComponent(target.name), runDirectory: runDirectory)
            for result in outcome.results {
                let line = result.infraError.map { "INFRA: \($0.split(separator: "\n").first ?? "")" }
                    ?? "\(result.results.filter { $0.verdict == .pass }.count)/\(result.results.count) passed"
                progress("\(target.name) [\(result.profile.id)]: \(line)")
            }
            results += outcome.results
        }
        return RunResult(toolVersion: toolVersion, startedAt: started, finishedAt: Date(),
                         host: HostProbe.current(hypervisorVersion: await runner.hypervisor.version()), targets: results)
    }

    private func notReached(_ target: TargetSpec, _ loaded: LoadedProfile) -> TargetResult {
        let reason = "run interrupted before this target started"
        return TargetResult(
            name: target.name, adapter: target.adapter, accelerator: nil, commandLine: [],
            profile: loaded.reference, stages: [], evidence: nil, infraError: reason,
            results: Scorer.infra(loaded.profile, reason: reason), artifacts: [:])
    }
}
