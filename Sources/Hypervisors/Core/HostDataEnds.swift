import AVPSModel

/// The host's end of the guest's data paths: files and directories on this machine that the
/// platform serves to the guest as a disk, a 9p share or persistent memory. When avps holds them
/// it can check on its own side what the guest's probes claim to have written (the pattern in the
/// image, the file in the share), so those verdicts do not rest on the guest's word alone.
///
/// Filled by adapters whose backing files are local: qemu and libvirt (files they created in the
/// workspace) and external (paths the suite declares under `external.host_files`). Empty for a
/// remote host (ssh), where nothing here is the guest's storage.
public struct HostDataEnds: Sendable, Equatable {
    /// Raw disk images served as virtio-blk devices (any order: each probe writes its own seed).
    public var blockImages: [String] = []
    /// Directories exported over 9p.
    public var shareDirectories: [String] = []
    /// Backing files of virtio-pmem devices.
    public var pmemFiles: [String] = []

    public init(blockImages: [String] = [], shareDirectories: [String] = [], pmemFiles: [String] = []) {
        self.blockImages = blockImages
        self.shareDirectories = shareDirectories
        self.pmemFiles = pmemFiles
    }

    public var isEmpty: Bool { blockImages.isEmpty && shareDirectories.isEmpty && pmemFiles.isEmpty }

    /// The files a qemu or libvirt launch created in its workspace for `target`'s devices
    /// (withheld kinds are left out: QEMU never serves them).
    public static func workspaceFiles(_ target: TargetSpec, omitting: Set<String> = [],
                                      disk: (Int) -> String, share: (Int) -> String, pmem: (Int) -> String) -> HostDataEnds {
        var ends = HostDataEnds()
        for (index, device) in target.devices.enumerated() where !omitting.contains(device.kind) {
            switch device {
            case .ninep: ends.shareDirectories.append(share(index))
            case .pmem: ends.pmemFiles.append(pmem(index))
            default: if device.blockSizeMiB != nil { ends.blockImages.append(disk(index)) }
            }
        }
        return ends
    }
}
