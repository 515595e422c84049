import AVPSModel
import Foundation
import HypervisorCore
import Scoring
import Synchronization

/// Runs a system: every VM boots in parallel through the same `TargetRunner` path a single guest
/// takes (its own hypervisor process, orphan guard and teardown), waits up and probed at a
/// `SystemHold`, the system stage measures what needs the VMs together, then every VM powers
/// off. Each VM gets its own result (`<system>/<vm>`, its own requirements) and the system one
/// result for the requirements about the VMs together; a VM that never boots is INFRA in its
/// result and names itself in the system's, while the other VMs keep what they earned.
struct SystemRunner: Sendable {
    var runner: TargetRunner

    func run(_ spec: TargetSpec, profiles: [LoadedProfile], artifactDirectory: URL, runDirectory: URL,
             events: (@Sendable (RunEvent) -> Void)?) async throws(RunnerError) -> TargetOutcome {
        do {
            return try await SystemWorkspace.with { shared in
                var assigned = LinkPorts.assign(spec, sharedDirectory: shared.path)
                for index in assigned.vms.indices { assigned.vms[index].membership?.faults = runner.isolationFaults }
                let system = assigned
                return try await withVsockLinks(system, log: artifactDirectory, workspace: shared) {
                    try await runMembers(system, profiles: profiles,
                                         artifactDirectory: artifactDirectory, runDirectory: runDirectory, events: events)
                }
            }
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .infrastructure("system \(spec.name): \(error)")
        }
    }

    private func runMembers(_ system: TargetSpec, profiles: [LoadedProfile], artifactDirectory: URL, runDirectory: URL,
                     events: (@Sendable (RunEvent) -> Void)?) async throws(RunnerError) -> TargetOutcome {
        let systemName = system.name
        let stages = StageLog(observer: events.map { events in { @Sendable stage in events(.stage(target: systemName, stage)) } })
        let observations = SystemObservations()
        let checks = SystemStage(system: system, stages: stages, faults: runner.isolationFaults, seed: runner.seed)
        let hold = SystemHold(expected: system.vms.map(\.name)) { members, absent in
            await checks.run(members, absent: absent, into: observations)
        }
        let outcomes: [String: TargetOutcome]
        do {
            outcomes = try await withThrowingTaskGroup(of: (String, TargetOutcome).self) { group in
                for vm in system.vms {
                    let directory = artifactDirectory.appendingPathComponent(vm.membership?.vm ?? vm.name)
                    group.addTask {
                        events?(.targetStarted(target: vm.name, attempt: 1, attempts: 1, devices: vm.devices.map(\.kind)))
                        do {
                            let outcome = try await runner.run(vm, profiles: profiles, artifactDirectory: directory,
                                                               runDirectory: runDirectory, events: events, hold: hold)
                            await hold.leave(vm.name)
                            return (vm.name, outcome)
                        } catch {
                            await hold.leave(vm.name)
                            throw error
                        }
                    }
                }
                var collected: [String: TargetOutcome] = [:]
                for try await (name, outcome) in group { collected[name] = outcome }
                return collected
            }
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .infrastructure("\(error)")
        }
        return combine(system, outcomes: outcomes, profiles: profiles, stages: stages, observations: observations.snapshot)
    }

    /// Each VM's results without the system-scoped requirements, then the system's own results.
    private func combine(_ system: TargetSpec, outcomes: [String: TargetOutcome], profiles: [LoadedProfile],
                         stages: StageLog, observations: [String: FactValue]) -> TargetOutcome {
        var results: [TargetResult] = []
        var failed: [String] = []
        for vm in system.vms {
            for var result in outcomes[vm.name]?.results ?? [] {
                if let profile = profiles.first(where: { $0.reference == result.profile })?.profile {
                    result.results = Scorer.memberResults(result.results, profile: profile)
                }
                result.system = system.name
                if let infra = result.infraError, !failed.contains(where: { $0.hasPrefix(vm.name + ":") }) {
                    failed.append("\(vm.name): \(TargetRunner.firstLine(infra))")
                }
                results.append(result)
            }
        }
        let infra = failed.isEmpty ? nil : "VM(s) of the system not measured: " + failed.joined(separator: "; ")
        let first = results.first
        for loaded in profiles {
            var own = TargetResult(
                name: system.name, adapter: system.adapter, accelerator: first?.accelerator, commandLine: [],
                profile: loaded.reference, stages: stages.timings, evidence: nil, infraError: infra,
                results: Scorer.scoreSystem(loaded.profile, system: system.name, observations: observations, fault: infra),
                artifacts: [:])
            own.system = system.name
            own.vms = system.vms.map(\.name)
            own.systemObservations = observations
            own.hypervisorVersion = first?.hypervisorVersion
            results.append(own)
        }
        return TargetOutcome(results: results, expectedVirtioDevices: nil)
    }
}

/// What the system stage measured, shared across the VMs' tasks.
final class SystemObservations: Sendable {
    private let facts = Mutex<[String: FactValue]>([:])

    func merge(_ new: [String: FactValue]) { facts.withLock { $0.merge(new) { _, latest in latest } } }
    var snapshot: [String: FactValue] { facts.withLock { $0 } }
}
