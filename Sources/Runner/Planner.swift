import AVPSModel
import Foundation
import HypervisorCore

/// `avps run --plan`: what would run, without starting anything.
///
/// Applicability is predicted from the devices a target asks for (the guest may still see fewer;
/// the real run decides). The hypervisor command line is the exact one a run would use.
public struct Planner: Sendable {
    public var hypervisor: any Hypervisor
    /// Further adapters by name, chosen by a target's `adapter:` field (as in `TargetRunner`).
    public var adapters: [String: any Hypervisor]
    public var boot: BootArtifacts
    /// Targets whose guest differs from `boot`, by target name (as in `TargetRunner`).
    public var targetBoots: [String: TargetBoot] = [:]

    public init(hypervisor: any Hypervisor, boot: BootArtifacts, adapters: [String: any Hypervisor] = [:],
                targetBoots: [String: TargetBoot] = [:]) {
        self.hypervisor = hypervisor
        self.adapters = adapters
        self.boot = boot
        self.targetBoots = targetBoots
    }

    public struct Row: Sendable, Equatable {
        public var key: String
        public var level: RequirementLevel
        /// `RUN`, `NOT_APPLICABLE`, `SKIPPED` (a system check on a single guest) or `UNTESTED`.
        public var decision: String
        public var reason: String
    }

    public struct TargetPlan: Sendable {
        public var target: TargetSpec
        public var commandLine: [String]
        public var rows: [(profile: String, rows: [Row])]
    }

    public func plan(_ target: TargetSpec, profiles: [LoadedProfile], scratch: URL) async throws(RunnerError) -> TargetPlan {
        let launch = try await preparedLaunch(target, scratch: scratch)
        discard(launch)
        let offered = Set(launch.expectedVirtioDevices)
        let rows = profiles.map { loaded in
            (loaded.profile.id, loaded.profile.requirements.map {
                Self.row($0, offered: offered, withheld: launch.withheldDevices, withheldKinds: launch.withheldPlatformDevices)
            })
        }
        return TargetPlan(target: target, commandLine: launch.commandLine, rows: rows)
    }

    /// The launch a run of `target` would start (exact command line, expected devices, workspace),
    /// prepared but not started; hand it back to `discard` when done with it. `avps lava export`
    /// turns it into a LAVA device and job.
    public func preparedLaunch(_ target: TargetSpec, scratch: URL) async throws(RunnerError) -> PreparedLaunch {
        guard let hypervisor = target.adapter == hypervisor.name ? hypervisor : adapters[target.adapter] else {
            throw .usage("target \(target.name): unknown adapter \(target.adapter)")
        }
        do {
            guard case .artifacts(let boot) = targetBoots[target.name] ?? .artifacts(boot) else {
                throw HypervisorError.launchFailed("no guest for this target: \(targetBoots[target.name].map { "\($0)" } ?? "")")
            }
            return try await hypervisor.prepare(target, boot: boot.lean(for: target), artifactDirectory: scratch)
        } catch {
            throw .usage("target \(target.name): \(error)")
        }
    }

    /// Removes what `preparedLaunch` created.
    public func discard(_ launch: PreparedLaunch) {
        let hypervisor = launch.target.adapter == hypervisor.name ? hypervisor : adapters[launch.target.adapter]
        hypervisor?.discard(launch)
    }

    /// A condition read from a probe is decided in the guest; the plan predicts only what the
    /// target's device list and the hypervisor's withheld devices already tell.
    static func row(_ requirement: Requirement, offered: Set<Int>, withheld: [Int: String] = [:],
                    withheldKinds: [String: String] = [:]) -> Row {
        for part in requirement.appliesIf?.parts ?? [] {
            var reason: String?
            switch part {
            case .devicePresent(.deviceID(let id)) where !offered.contains(id):
                let selector = DeviceSelector.deviceID(id)
                reason = withheld[id].map { "the hypervisor cannot offer a \(selector) device: \($0)" }
                    ?? "target requests no \(selector) device"
            case .notWithheld(let kind):
                reason = withheldKinds[kind].map { "the hypervisor cannot offer a \(kind) device: \($0)" }
            default:
                continue
            }
            if let reason {
                return Row(key: requirement.key, level: requirement.level, decision: "NOT_APPLICABLE", reason: reason)
            }
        }
        if requirement.isSystemScoped {
            return Row(key: requirement.key, level: requirement.level, decision: "SKIPPED",
                       reason: "measured between two or more VMs; this target is a single guest (see system targets, vms:)")
        }
        guard requirement.check != nil else {
            return Row(key: requirement.key, level: requirement.level, decision: "UNTESTED", reason: "no machine check yet")
        }
        return Row(key: requirement.key, level: requirement.level, decision: "RUN", reason: requirement.title)
    }
}
