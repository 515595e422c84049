import AVPSModel
import Foundation
import Reports
import Runner

extension RunCommand {
    /// `--resume RUN_DIR`: same plan, profile text and seed; targets the journal holds in full are
    /// kept, the others (never started, or cut off mid-run) run again.
    func resumeRun(_ directory: URL) async throws -> RunOutcome {
        let plan = try RunPlan.read(from: directory)
        let profiles = try plan.loadProfiles()
        let journaled = (try? ResultsJournal.recover(runDirectory: directory, writeReports: false).run.targets) ?? []
        // A target counts as done only when every profile's result was journaled and it was reached.
        let complete = Dictionary(grouping: journaled, by: \.name).filter { _, results in
            results.count == profiles.count && !results.contains { $0.infraError?.hasPrefix("not started") == true }
        }
        let prior = journaled.filter { complete[$0.name] != nil }
        let attestations = try VerifiedAttestations.load(plan.attestations ?? [], profiles: profiles.map(\.profile),
                                                         targets: nil)
        Console.info("resuming \(directory.path) with seed \(plan.seed)")
        return try await RunExecution(plan: plan, profiles: profiles, resources: try await guest.resources(for: plan.targets),
                                      cacheRoot: guest.cacheRoot, bootTimeout: bootTimeout, prior: prior, progress: progress,
                                      attestations: attestations)
            .perform(into: directory)
    }
}
