import AVPSModel
import Foundation
import HypervisorCore
import Scoring

/// How a suite run is carried out.
public struct SuiteRunOptions: Sendable {
    /// Targets examined at once. Each TCG guest keeps one host core busy.
    public var jobs: Int
    /// Extra attempts for a target whose first attempt had a FAIL, ERROR or INFRA.
    public var retries: Int
    /// Master seed, recorded in the results.
    public var seed: UInt64

    public init(jobs: Int = 1, retries: Int = 0, seed: UInt64 = 0) {
        self.jobs = max(1, jobs)
        self.retries = max(0, retries)
        self.seed = seed
    }

    /// One job per core: a TCG vCPU thread saturates one core.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Runs the targets of a plan into one run directory, at most `jobs` at a time.
///
/// Targets are independent: one target's INFRA does not stop the others. Cancellation (SIGINT)
/// lets running targets tear down; targets not yet started are reported as INFRA ("not reached"),
/// so the record says what was not examined. Results keep the plan's target order whatever order
/// targets finish in.
public struct SuiteRun: Sendable {
    public var targets: [TargetSpec]
    public var profiles: [LoadedProfile]
    public var runner: TargetRunner
    public var runDirectory: URL
    public var toolVersion: String
    public var options: SuiteRunOptions

    public init(targets: [TargetSpec], profiles: [LoadedProfile], runner: TargetRunner, runDirectory: URL,
                toolVersion: String, options: SuiteRunOptions = SuiteRunOptions()) {
        self.targets = targets
        self.profiles = profiles
        self.runner = runner
        self.runDirectory = runDirectory
        self.toolVersion = toolVersion
        self.options = options
    }

    /// - Parameter progress: every target start, stage and result, for the console.
    /// - Parameter finished: called once per target as soon as its results are final (journal hook).
    public func execute(
        progress: @escaping @Sendable (RunEvent) -> Void,
        finished: @escaping @Sendable ([TargetResult]) async -> Void = { _ in }
    ) async throws(RunnerError) -> RunResult {
        let started = Date()
        var byIndex: [Int: [TargetResult]] = [:]
        do {
            try await withThrowingTaskGroup(of: (Int, [TargetResult]).self) { group in
                var next = 0
                func launch() {
                    let index = next
                    next += 1
                    group.addTask { (index, try await examine(targets[index], progress: progress)) }
                }
                while next < min(options.jobs, targets.count) { launch() }
                while let (index, results) = try await group.next() {
                    byIndex[index] = results
                    await finished(results)
                    if next < targets.count { launch() }
                }
            }
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .infrastructure("\(error)")
        }
        let results = targets.indices.flatMap { byIndex[$0] ?? [] }
        return RunResult(toolVersion: toolVersion, startedAt: started, finishedAt: Date(),
                         host: HostProbe.current(hypervisorVersion: await runner.hypervisor.version()),
                         targets: results, seed: options.seed)
    }

    /// All attempts at one target; FLAKY for requirements that failed first and passed later.
    private func examine(_ target: TargetSpec, progress: @escaping @Sendable (RunEvent) -> Void) async throws(RunnerError) -> [TargetResult] {
        if Task.isCancelled { return profiles.map { notReached(target, $0) } }
        var attempts: [[TargetResult]] = []
        for attempt in 1...(options.retries + 1) {
            if attempt > 1, Task.isCancelled { break }
            progress(.targetStarted(target: target.name, attempt: attempt, attempts: options.retries + 1,
                                    devices: target.devices.map(\.kind)))
            let directory = runDirectory.appendingPathComponent(attempt == 1 ? target.name : "\(target.name)/attempt-\(attempt)")
            let outcome = try await runner.run(target, profiles: profiles, artifactDirectory: directory,
                                               runDirectory: runDirectory, events: progress)
            attempts.append(outcome.results)
            if !RetryPolicy.needsRetry(outcome.results) { break }
        }
        let results = RetryPolicy.combine(attempts)
        for result in results {
            progress(.targetFinished(target: target.name, profile: result.profile.id, summary: Self.oneLine(result),
                                     infra: result.infraError != nil))
        }
        return results
    }

    static func oneLine(_ result: TargetResult) -> String {
        if let infra = result.infraError { return "INFRA: \(infra.split(separator: "\n").first ?? "")" }
        let passed = result.results.filter { $0.verdict == .pass || $0.verdict == .flaky }.count
        return "\(passed)/\(result.results.count) passed" + ((result.attempts ?? 1) > 1 ? " after \(result.attempts ?? 1) attempts" : "")
    }

    private func notReached(_ target: TargetSpec, _ loaded: LoadedProfile) -> TargetResult {
        let reason = "not started: " + (RunCancellation.reason ?? "run interrupted")
        return TargetResult(
            name: target.name, adapter: target.adapter, accelerator: nil, commandLine: [],
            profile: loaded.reference, stages: [], evidence: nil, infraError: reason,
            results: Scorer.infra(loaded.profile, reason: reason), artifacts: [:])
    }
}
