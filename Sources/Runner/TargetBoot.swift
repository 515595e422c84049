import AVPSModel
import HypervisorCore

/// The guest one target boots, when it is not the run's default: another kernel (`kernel: {from:
/// backports}`) or extra modules (sound). A guest that could not be built makes only the targets
/// that need it INFRA, with the reason.
public enum TargetBoot: Sendable, Equatable {
    case artifacts(BootArtifacts)
    case unavailable(String)
}

extension TargetOutcome {
    /// Records which hypervisor build and guest kernel produced these results.
    func recording(launch: PreparedLaunch, boot: BootArtifacts) -> TargetOutcome {
        var copy = self
        for index in copy.results.indices {
            copy.results[index].hypervisorVersion = launch.hypervisorVersion
            copy.results[index].guestKernel = boot.kernelSource
        }
        return copy
    }
}
