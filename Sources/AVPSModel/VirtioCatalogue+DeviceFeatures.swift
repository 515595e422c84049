extension VirtioCatalogue {
    /// Device-specific feature bits by device id (reference/virtio.md §3). Devices without
    /// device-specific bits (entropy, input, rpmb, spi, media) have no entry.
    public static let deviceFeatureTables: [Int: [VirtioFeature]] = [
        1: VirtioFeature.table(device: 1, prefix: "NET", [
            (0, "CSUM"), (1, "GUEST_CSUM"), (2, "CTRL_GUEST_OFFLOADS"), (3, "MTU"), (5, "MAC"),
            (6, "GSO"), (7, "GUEST_TSO4"), (8, "GUEST_TSO6"), (9, "GUEST_ECN"), (10, "GUEST_UFO"),
            (11, "HOST_TSO4"), (12, "HOST_TSO6"), (13, "HOST_ECN"), (14, "HOST_UFO"), (15, "MRG_RXBUF"),
            (16, "STATUS"), (17, "CTRL_VQ"), (18, "CTRL_RX"), (19, "CTRL_VLAN"), (20, "CTRL_RX_EXTRA"),
            (21, "GUEST_ANNOUNCE"), (22, "MQ"), (23, "CTRL_MAC_ADDR"),
            // Legacy (Windows) RSC bits; they collide with ADMIN_VQ(41), see virtio.md §2.
            (41, "GUEST_RSC4"), (42, "GUEST_RSC6"),
            (50, "DEVICE_STATS"), (51, "HASH_TUNNEL"), (52, "VQ_NOTF_COAL"), (53, "NOTF_COAL"),
            (54, "GUEST_USO4"), (55, "GUEST_USO6"), (56, "HOST_USO"), (57, "HASH_REPORT"),
            (59, "GUEST_HDRLEN"), (60, "RSS"), (61, "RSC_EXT"), (62, "STANDBY"), (63, "SPEED_DUPLEX"),
            (64, "RSS_CONTEXT"), (65, "GUEST_UDP_TUNNEL_GSO"), (66, "GUEST_UDP_TUNNEL_GSO_CSUM"),
            (67, "HOST_UDP_TUNNEL_GSO"), (68, "HOST_UDP_TUNNEL_GSO_CSUM"), (69, "OUT_NET_HEADER"),
            (70, "IPSEC"),
        ]),
        2: VirtioFeature.table(device: 2, prefix: "BLK", [
            (0, "BARRIER"), (1, "SIZE_MAX"), (2, "SEG_MAX"), (4, "GEOMETRY"), (5, "RO"), (6, "BLK_SIZE"),
            (7, "SCSI"), (9, "FLUSH"), (10, "TOPOLOGY"), (11, "CONFIG_WCE"), (12, "MQ"), (13, "DISCARD"),
            (14, "WRITE_ZEROES"), (15, "LIFETIME"), (16, "SECURE_ERASE"), (17, "ZONED"),
        ], aliases: ["FLUSH": ["VIRTIO_BLK_F_WCE"]]),
        3: VirtioFeature.table(device: 3, prefix: "CONSOLE", [(0, "SIZE"), (1, "MULTIPORT"), (2, "EMERG_WRITE")]),
        5: VirtioFeature.table(device: 5, prefix: "BALLOON", [
            (0, "MUST_TELL_HOST"), (1, "STATS_VQ"), (2, "DEFLATE_ON_OOM"), (3, "FREE_PAGE_HINT"),
            (4, "PAGE_POISON"), (5, "PAGE_REPORTING"),
        ], aliases: ["PAGE_REPORTING": ["VIRTIO_BALLOON_F_REPORTING"]]),
        8: VirtioFeature.table(device: 8, prefix: "SCSI", [(0, "INOUT"), (1, "HOTPLUG"), (2, "CHANGE"), (3, "T10_PI")]),
        // 9p has no spec chapter; Linux spells its one bit without `_F_`.
        9: VirtioFeature.table(device: 9, prefix: "9P", [(0, "MOUNT_TAG")],
                               aliases: ["MOUNT_TAG": ["VIRTIO_9P_MOUNT_TAG"]]),
        16: VirtioFeature.table(device: 16, prefix: "GPU", [
            (0, "VIRGL"), (1, "EDID"), (2, "RESOURCE_UUID"), (3, "RESOURCE_BLOB"), (4, "CONTEXT_INIT"),
            (5, "BLOB_ALIGNMENT"),
        ]),
        17: VirtioFeature.table(device: 17, prefix: "RTC", [(0, "ALARM")]),
        19: VirtioFeature.table(device: 19, prefix: "VSOCK", [(0, "STREAM"), (1, "SEQPACKET"), (2, "NO_IMPLIED_STREAM")]),
        20: VirtioFeature.table(device: 20, prefix: "CRYPTO", [
            (0, "REVISION_1"), (1, "CIPHER_STATELESS_MODE"), (2, "HASH_STATELESS_MODE"),
            (3, "MAC_STATELESS_MODE"), (4, "AEAD_STATELESS_MODE"), (5, "AKCIPHER_STATELESS_MODE"),
        ]),
        23: VirtioFeature.table(device: 23, prefix: "IOMMU", [
            (0, "INPUT_RANGE"), (1, "DOMAIN_RANGE"), (2, "MAP_UNMAP"), (3, "BYPASS"), (4, "PROBE"),
            (5, "MMIO"), (6, "BYPASS_CONFIG"),
        ]),
        24: VirtioFeature.table(device: 24, prefix: "MEM", [
            (0, "ACPI_PXM"), (1, "UNPLUGGED_INACCESSIBLE"), (2, "PERSISTENT_SUSPEND"),
        ]),
        25: VirtioFeature.table(device: 25, prefix: "SND", [(0, "CTLS")]),
        26: VirtioFeature.table(device: 26, prefix: "FS", [(0, "NOTIFICATION")]),
        27: VirtioFeature.table(device: 27, prefix: "PMEM", [(0, "SHMEM_REGION")]),
        32: VirtioFeature.table(device: 32, prefix: "SCMI", [(0, "P2A_CHANNELS"), (1, "SHARED_MEMORY")]),
        34: VirtioFeature.table(device: 34, prefix: "I2C", [(0, "ZERO_LENGTH_REQUEST")]),
        36: VirtioFeature.table(device: 36, prefix: "CAN", [
            (0, "CAN_CLASSIC"), (1, "CAN_FD"), (2, "RTR_FRAMES"), (3, "LATE_TX_ACK"),
        ]),
        // Bluetooth bits come from the Linux/QEMU headers; the spec has no chapter.
        40: VirtioFeature.table(device: 40, prefix: "BT", [
            (0, "VND_HCI"), (1, "MSFT_EXT"), (2, "AOSP_EXT"), (3, "CONFIG_V2"),
        ]),
        41: VirtioFeature.table(device: 41, prefix: "GPIO", [(0, "IRQ")]),
    ]
}
