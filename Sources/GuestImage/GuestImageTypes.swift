import AVPSModel
import Foundation

/// What the runner asks for. The defaults build the Debian reference guest.
public struct GuestImageRequest: Sendable, Equatable {
    /// The guest's CPU architecture: chooses kernel package, busybox and agent compiler.
    public var architecture: GuestArchitecture
    /// Debian package to resolve (a metapackage such as `linux-image-amd64` is followed to the
    /// concrete `linux-image-<abi>-amd64`). Ignored when `kernel` and `modules` are given.
    public var kernelPackage: String
    /// A kernel image to use instead of Debian's package (for hosts that are not Debian).
    public var kernel: URL?
    /// `lib/modules/<release>` directory with a modules.dep, required together with `kernel`.
    public var modules: URL?
    /// `Sources/avps-agent`; nil means `$AVPS_AGENT_SOURCE`, then a search upwards from the
    /// working directory and from the executable.
    public var agentSource: URL?
    /// Root of the content-addressed cache.
    public var cacheRoot: URL
    /// The busybox binary to embed; must be statically linked (Debian's busybox-static). nil: the
    /// host's `/bin/busybox` for the host's architecture, else Debian's package for `architecture`.
    public var busybox: URL?
    /// Module names to load at boot; missing ones are skipped with a note.
    public var wantedModules: [String]
    /// Which apt sources `kernelPackage` comes from: the host's, or bookworm-backports (6.12).
    public var kernelOrigin: PackageOrigin

    /// - Parameter kernelPackage: nil means `linux-image-<debian arch>` (`linux-image-arm64`, ...).
    public init(architecture: GuestArchitecture = .x86_64, kernelPackage: String? = nil, kernel: URL? = nil,
                modules: URL? = nil, agentSource: URL? = nil, cacheRoot: URL = GuestImageBuilder.defaultCacheRoot(),
                busybox: URL? = nil, wantedModules: [String] = GuestImageRequest.referenceModules,
                kernelOrigin: PackageOrigin = .system) {
        self.architecture = architecture
        self.kernelOrigin = kernelOrigin
        self.kernelPackage = kernelPackage ?? "linux-image-\(architecture.debianName)"
        self.kernel = kernel
        self.modules = modules
        self.agentSource = agentSource
        self.cacheRoot = cacheRoot
        self.busybox = busybox
        self.wantedModules = wantedModules
    }

    /// The drivers the agent needs to see every virtio device AVPS talks about. Order matters
    /// only for readability of /init; dependencies are sorted out by `ModuleDependencies`.
    /// virtio_gpu pulls in drm (about 2 MB in total); it stays because the agent probes GPU
    /// modes and EDID, and it costs well under a second of boot under TCG.
    public static let referenceModules = [
        "virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "virtio-rng",
        "virtio_balloon", "virtio_scsi", "virtio_input", "9pnet_virtio", "9p", "virtio_crypto",
        "vmw_vsock_virtio_transport", "virtio_gpu",
        "evdev", "algif_skcipher",  // agent probes: input.caps opens evdev nodes, crypto.cipher uses AF_ALG
        "i6300esb",  // not virtio: the PCI watchdog QEMU emulates for suite kind `watchdog`
        "virtio_pmem", "nd_pmem",  // virtio-pmem registers an NVDIMM region; nd_pmem makes it /dev/pmemN
        "kvaser_pci",  // not virtio: the SJA1000 CAN controller QEMU emulates for suite kind `emulated-can`
    ]

    /// Drivers only a guest that asks for the device kind gets, so the reference initramfs stays
    /// small (virtio_snd pulls in the ALSA core; Debian's 6.1 has no virtio_snd, 6.12 has).
    public static let deviceModules: [String: [String]] = ["sound": ["virtio_snd"]]

    /// The reference modules plus those the given device kinds need.
    public static func modules(forDeviceKinds kinds: [String]) -> [String] {
        referenceModules + Set(kinds).sorted().flatMap { deviceModules[$0] ?? [] }
    }
}

/// A bootable reference guest: pass `kernel`, `initrd` and `baseCommandLine` to the hypervisor.
public struct ReferenceGuest: Sendable, Codable, Equatable {
    public var architecture: GuestArchitecture
    /// What the hypervisor boots: the uncompressed PVH vmlinux when it could be extracted, else the
    /// packaged bzImage (`kernelFormat` says which).
    public var kernel: URL
    /// `pvh-elf` or `bzImage` (x86_64), `arm64-Image` (aarch64, booted directly by QEMU `virt`).
    public var kernelFormat: String
    public var initrd: URL
    public var kernelRelease: String
    /// Where the kernel came from: `linux-image-6.1.0-56-amd64 6.1.192-2`, or the user's path.
    public var kernelSource: String
    /// SHA-256 of the packaged kernel image (vmlinuz), which names the kernel whatever format boots.
    public var kernelSHA256: String
    public var initrdSHA256: String
    public var agentSHA256: String
    /// Modules /init loads, in order (canonical names).
    public var modules: [String]
    /// Wanted modules this kernel does not ship as modules (built in or absent).
    public var skippedModules: [String]
    public var baseCommandLine: String
}

extension GuestImageBuilder {
    /// `$AVPS_CACHE`, else `~/.cache/avps`.
    public static func defaultCacheRoot() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["AVPS_CACHE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/avps", isDirectory: true)
    }
}
