/// Which driver modules a target's devices need, so a guest loads only those.
///
/// Loading all 35 reference modules took a third of the reference guest's boot under TCG
/// (measured with `-icount`): drm alone is 1.2 MB to relocate. One initramfs still holds every
/// module (one cache entry, one hash); `/init` reads `avps.modules=<group,...>` from the kernel
/// command line and skips modules no listed group needs. Without the word, everything loads —
/// the safe default for platforms whose device set avps does not control.
public enum ModuleGroups {
    /// The group that always loads: the virtio transports and both agent channels
    /// (virtio-serial and vsock), whatever devices the target lists.
    public static let core = "core"

    /// Group of each wanted (root) module of `GuestImageRequest.referenceModules`; the modules
    /// it depends on inherit the group.
    static let groupOfRootModule: [String: String] = [
        "virtio_pci": core, "virtio_mmio": core, "virtio_console": core, "vmw_vsock_virtio_transport": core,
        "virtio_blk": "block", "virtio_net": "net", "virtio_rng": "entropy", "virtio_balloon": "balloon",
        "virtio_scsi": "scsi", "virtio_input": "input", "evdev": "input", "9pnet_virtio": "9p", "9p": "9p",
        "virtio_crypto": "crypto", "algif_skcipher": "crypto", "virtio_gpu": "gpu", "virtio_snd": "sound",
        "i6300esb": "watchdog", "virtio_pmem": "pmem", "nd_pmem": "pmem", "kvaser_pci": "can",
    ]

    /// Group of each suite device kind (`DeviceSpec.kind`).
    static let groupOfDeviceKind: [String: String] = [
        "block": "block", "net": "net", "entropy": "entropy", "balloon": "balloon", "scsi": "scsi",
        "keyboard": "input", "tablet": "input", "9p": "9p", "crypto": "crypto", "gpu": "gpu",
        "sound": "sound", "console": core, "vsock": core, "iommu": core, "watchdog": "watchdog", "pmem": "pmem",
        "emulated-can": "can",
    ]

    /// `avps.modules=block,net` for these device kinds; nil when a kind has no known group here,
    /// so that every module loads rather than a device booting without its driver.
    public static func commandLineWord(forDeviceKinds kinds: [String]) -> String? {
        var groups: [String] = []
        for kind in kinds {
            guard let group = groupOfDeviceKind[kind] else { return nil }
            if group != core, !groups.contains(group) { groups.append(group) }
        }
        return "avps.modules=" + (groups.isEmpty ? core : groups.sorted().joined(separator: ","))
    }

    /// For every module of a resolved load order, the groups that need it. A module without a
    /// group (wanted by a caller's own list) is tagged `core`, so it always loads.
    static func groups(for wanted: [String], in dependencies: ModuleDependencies) -> [String: [String]] {
        var tagged: [String: Set<String>] = [:]
        for root in wanted {
            let group = groupOfRootModule[ModuleDependencies.canonicalName(root)] ?? core
            for module in dependencies.resolve([root]).loadOrder {
                tagged[module.name, default: []].insert(group)
            }
        }
        return tagged.mapValues { $0.contains(core) ? [core] : $0.sorted() }
    }
}
