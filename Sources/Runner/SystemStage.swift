import AVPSModel
import Foundation
import HypervisorCore

/// The checks that need a system's VMs together, run once every VM has booted and run its own
/// probes (or failed). Each check records its facts as system observations; one that cannot run
/// (a link or device the suite did not declare, a VM that never came up) records why instead.
struct SystemStage: Sendable {
    var system: TargetSpec
    var stages: StageLog

    func run(_ members: [MemberGuest], absent: [String], into observations: SystemObservations) async {
        observations.merge(["vms_up": .int(Int64(members.count)), "vms_expected": .int(Int64(system.vms.count))])
        if !absent.isEmpty { observations.merge(["vms_absent": .string(absent.joined(separator: ", "))]) }
    }
}
