/// Host observations behind AVPS2-HWV-01 (recorded by the runner, judged by the scorer).
public enum HardwareVirtualization {
    /// The accelerator that ran the guest (`kvm`, `tcg`, ...).
    public static let acceleratorKey = "hardware_virtualization.accelerator"
    /// The host CPU's virtualization extensions: `vmx`, `svm` or `none`.
    public static let extensionsKey = "hardware_virtualization.host_cpu"
    /// Accelerators that run guest code on the CPU's virtualization extensions.
    public static let hardwareAccelerators: Set<String> = ["kvm", "hvf", "whpx", "xen", "nvmm"]
}
