/// Whether avps may overwrite part of a target's disks (the block and pmem write tests).
///
/// The qemu adapter's disks are fresh files avps created for the run, so they are scratch unless
/// the suite says `scratch: false`. Every other adapter boots disks avps did not make (a vendor's
/// images, a libvirt pool, a remote host's files), so they are written only when the suite
/// declares them `{block: {scratch: true}}`. The guest's inventory cannot tell which declared disk
/// is which virtio device, so one disk that is not scratch keeps avps from writing to any.
extension TargetSpec {
    public static let scratchByDefaultAdapters: Set<String> = ["qemu"]

    public var disksAreScratch: Bool {
        let byDefault = Self.scratchByDefaultAdapters.contains(adapter)
        let disks = devices.filter { $0.blockSizeMiB != nil }
        return disks.allSatisfy { $0.declaredScratch ?? byDefault } && (byDefault || !disks.isEmpty)
    }

    /// Why the write tests did not run and how to enable them, for the SKIPPED verdicts.
    public var scratchHint: String {
        if Self.scratchByDefaultAdapters.contains(adapter) {
            return "a disk of this target is declared scratch: false, so avps writes to none of them; remove that to run the write tests"
        }
        return "avps writes only to disks declared scratch on adapter \(adapter) (it did not create them); declare every block device of this target "
            + "as {block: {size_mib: N, scratch: true}} in the suite if avps may overwrite 4 MiB at 1 MiB into it"
    }
}
