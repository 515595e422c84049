import AVPSModel
import Foundation
import Scoring

/// `--plan` for a system: every VM's exact command line and own requirements, then the
/// requirements about the VMs together, decided in the system's own result.
extension Planner {
    public struct SystemPlan: Sendable {
        public var system: TargetSpec
        /// One plan per VM, in suite order, with the host ports the links would use.
        public var vms: [TargetPlan]
        public var rows: [(profile: String, rows: [Row])]
    }

    public func planSystem(_ spec: TargetSpec, profiles: [LoadedProfile], scratch: URL) async throws(RunnerError) -> SystemPlan {
        let system = LinkPorts.assign(spec, sharedDirectory: scratch.appendingPathComponent("shared").path)
        var vms: [TargetPlan] = []
        for vm in system.vms {
            let directory = scratch.appendingPathComponent(vm.membership?.vm ?? "vm-\(vms.count)")
            var plan = try await plan(vm, profiles: profiles, scratch: directory)
            plan.rows = plan.rows.map { entry in (entry.profile, entry.rows.filter { row in !Self.systemKeys(profiles, entry.profile).contains(row.key) }) }
            vms.append(plan)
        }
        let rows = profiles.map { loaded in
            (loaded.profile.id, loaded.profile.requirements.filter(\.isSystemScoped).map {
                Row(key: $0.key, level: $0.level, decision: "RUN", reason: $0.title)
            })
        }
        return SystemPlan(system: system, vms: vms, rows: rows)
    }

    static func systemKeys(_ profiles: [LoadedProfile], _ id: String) -> Set<String> {
        Set(profiles.first { $0.profile.id == id }?.profile.requirements.filter(\.isSystemScoped).map(\.key) ?? [])
    }
}
