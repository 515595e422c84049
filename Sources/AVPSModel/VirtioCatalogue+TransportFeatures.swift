extension VirtioCatalogue {
    /// Device-independent feature bits (VIRTIO 1.4 §2 / §6; reference/virtio.md §2).
    ///
    /// Bit 30 (QEMU's "bad feature") and bit 42 (no generic meaning) are deliberately absent:
    /// the spec gives them no name a profile could ask for.
    public static let transportFeatureTable: [VirtioFeature] = [
        transport(24, "NOTIFY_ON_EMPTY"),
        transport(27, "ANY_LAYOUT"),
        transport(28, "INDIRECT_DESC", aliases: ["VIRTIO_F_RING_INDIRECT_DESC", "VIRTIO_RING_F_INDIRECT_DESC"]),
        transport(29, "EVENT_IDX", aliases: ["VIRTIO_F_RING_EVENT_IDX", "VIRTIO_RING_F_EVENT_IDX"]),
        transport(32, "VERSION_1"),
        transport(33, "ACCESS_PLATFORM", aliases: ["VIRTIO_F_IOMMU_PLATFORM"]),
        transport(34, "RING_PACKED"),
        transport(35, "IN_ORDER"),
        transport(36, "ORDER_PLATFORM"),
        transport(37, "SR_IOV"),
        transport(38, "NOTIFICATION_DATA"),
        transport(39, "NOTIF_CONFIG_DATA"),
        transport(40, "RING_RESET"),
        transport(41, "ADMIN_VQ"),
        transport(43, "SUSPEND"),
    ]

    private static func transport(_ bit: Int, _ name: String, aliases: [String] = []) -> VirtioFeature {
        VirtioFeature(bit: bit, name: name, deviceID: nil, constant: "VIRTIO_F_\(name)", aliases: aliases)
    }
}
