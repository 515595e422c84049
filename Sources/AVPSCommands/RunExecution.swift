import AVPSModel
import Foundation
import GuestImage
import HypervisorCore
import LibvirtHypervisor
import SSHHypervisor
import ExternalHypervisor
import Reports
import Runner

/// Carries out a plan into a run directory and writes the reports: shared by `run` and `replay`.
struct RunExecution {
    var plan: RunPlan
    var profiles: [LoadedProfile]
    var resources: RunResources
    var cacheRoot: URL
    var bootTimeout: Double?
    /// Results of targets a resumed run already finished; they are kept, not rerun.
    var prior: [TargetResult] = []
    /// Live stage display on a terminal, plain lines in logs.
    var progress: ProgressStyle = .plain
    /// Signed vendor attestations, verified before the first boot.
    var attestations = VerifiedAttestations()

    /// Adapters besides the default `qemu`, chosen by a target's `adapter:` (runs and `--plan`).
    static let adapters: [String: any Hypervisor] = ["external": ExternalAdapter(), "libvirt": LibvirtAdapter(),
                                                     "ssh": SSHAdapter()]

    /// Writes plan.json first, so even a run killed during its first boot can be resumed or replayed.
    func perform(into runDirectory: URL) async throws -> RunOutcome {
        try plan.write(to: runDirectory)
        var runner = TargetRunner(hypervisor: resources.qemuAdapter(cacheDirectory: cacheRoot),
                                  boot: resources.reference.bootArtifacts,
                                  timeouts: bootTimeout.map { RunTimeouts(boot: .milliseconds(Int($0 * 1000))) },
                                  adapters: Self.adapters)
        runner.targetBoots = resources.targetBoots
        runner.attestations = try attestations.install(into: runDirectory)
        runner.seed = plan.seed
        let options = SuiteRunOptions(jobs: plan.jobs, retries: plan.retries, seed: plan.seed)
        // Every finished target is journaled (flushed to disk) at once: a crash loses no verdict,
        // and `avps report recover` rebuilds the reports from what was journaled.
        let journal = try ResultsJournal(runDirectory: runDirectory, toolVersion: AVPSCommand.version, startedAt: Date())
        for target in prior { try await journal.appendOffPool(target) }
        let finishedNames = Set(prior.map(\.name))
        let remaining = plan.targets.filter { !finishedNames.contains($0.name) }
        if !prior.isEmpty {
            Console.info("resuming: \(finishedNames.count) target(s) already done, \(remaining.count) to run")
        }
        let display = ProgressDisplay(style: progress)
        display.start()
        let suiteRun = SuiteRun(targets: remaining, profiles: profiles, runner: runner,
                                runDirectory: runDirectory, toolVersion: AVPSCommand.version, options: options)
        let executed: RunResult
        do {
            executed = try await suiteRun.execute(progress: display.handle, finished: { results in
                for target in results {
                    do { try await journal.appendOffPool(target) } catch { Console.error("journal: \(error)") }
                }
            })
            display.finish()
        } catch {
            display.finish()
            throw error
        }
        var result = executed
        let order = Dictionary(uniqueKeysWithValues: plan.targets.enumerated().map { ($1.name, $0) })
        result.targets = (prior + result.targets).sorted { (order[$0.name] ?? 0) < (order[$1.name] ?? 0) }
        let written = try journal.finish(result)
        RunSummaryOutput.print(result, written: written)
        return RunOutcome.of(result.targets)
    }
}
