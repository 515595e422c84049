import GuestImage
import HypervisorCore
import QEMUHypervisor

extension ReferenceGuest {
    /// What a hypervisor boots for this guest, naming where its kernel came from.
    public var bootArtifacts: BootArtifacts {
        BootArtifacts(kernel: kernel.path, initrd: initrd.path, kernelCommandLine: baseCommandLine, kernelSource: kernelSource)
    }
}

extension UnpackedQEMU {
    /// The adapter's view of an unpacked backports build: its own modules and libraries.
    public var installation: QEMUInstallation {
        var environment = ["QEMU_MODULE_DIR": moduleDirectory.path]
        if let libraryDirectory { environment["LD_LIBRARY_PATH"] = libraryDirectory.path }
        return QEMUInstallation(origin: .backports, binary: binary.path, dataDirectories: dataDirectories.map(\.path),
                                environment: environment)
    }
}
