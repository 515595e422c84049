import AVPSModel
import GuestImage
import Hypervisors

extension BootArtifacts {
    /// The boot of one target: the reference guest loads only the driver modules its devices need
    /// (`avps.modules=`, see `ModuleGroups`). External targets keep every module: avps does not
    /// control their device set, and a device must never go unseen for want of a driver.
    func lean(for target: TargetSpec) -> BootArtifacts {
        guard target.adapter != "external",
              let word = ModuleGroups.commandLineWord(forDeviceKinds: target.devices.map(\.kind)) else { return self }
        var boot = self
        boot.kernelCommandLine += " " + word
        return boot
    }
}
