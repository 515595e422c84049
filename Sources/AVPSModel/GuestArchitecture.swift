/// CPU architecture of a guest (suite key `arch`): picks the reference guest build (kernel
/// package, cross compiler, busybox) and the hypervisor's machine.
public enum GuestArchitecture: String, Sendable, Codable, CaseIterable {
    case x86_64
    case aarch64

    /// Debian's name for the architecture (`dpkg --print-architecture`).
    public var debianName: String {
        switch self {
        case .x86_64: "amd64"
        case .aarch64: "arm64"
        }
    }

    /// ELF `e_machine` of a binary built for it (EM_X86_64, EM_AARCH64).
    public var elfMachine: UInt16 {
        switch self {
        case .x86_64: 62
        case .aarch64: 183
        }
    }
}

/// How virtio devices are attached to the guest (suite key `transport`).
public enum DeviceTransport: String, Sendable, Codable, CaseIterable {
    /// virtio-pci (`virtio-*-pci`): the only transport of x86 machines here.
    case pci
    /// virtio-mmio (`virtio-*-device` on the `virt` machine's register blocks), QEMU's default
    /// Version 1: the legacy interface.
    case mmio
    /// virtio-mmio Version 2, the modern interface (QEMU `virtio-mmio.force-legacy=false`).
    case mmioModern = "mmio-modern"

    /// True for both virtio-mmio forms.
    public var isMMIO: Bool { self != .pci }
}
