extension VirtioCatalogue {
    /// Device-specific configuration layouts by device id (reference/virtio.md §3, VIRTIO 1.4).
    /// Reserved and padding bytes are left out: no profile can ask about them. Devices without
    /// a config space (entropy, i2c, scmi, rtc) have no entry.
    static let configFieldTables: [Int: [VirtioConfigField]] = [
        1: [
            .init("mac", 0x00, 6, when: "MAC"), .init("status", 0x06, 2, when: "STATUS"),
            .init("max_virtqueue_pairs", 0x08, 2, when: "MQ", "RSS"), .init("mtu", 0x0a, 2, when: "MTU"),
            .init("speed", 0x0c, 4, when: "SPEED_DUPLEX"), .init("duplex", 0x10, 1, when: "SPEED_DUPLEX"),
            .init("rss_max_key_size", 0x11, 1, when: "RSS", "HASH_REPORT"),
            .init("rss_max_indirection_table_length", 0x12, 2, when: "RSS"),
            .init("supported_hash_types", 0x14, 4, when: "RSS", "HASH_REPORT"),
            .init("supported_tunnel_types", 0x18, 4, when: "HASH_TUNNEL"),
        ],
        2: [
            .init("capacity", 0x00, 8), .init("size_max", 0x08, 4, when: "SIZE_MAX"),
            .init("seg_max", 0x0c, 4, when: "SEG_MAX"),
            .init("geometry.cylinders", 0x10, 2, when: "GEOMETRY"), .init("geometry.heads", 0x12, 1, when: "GEOMETRY"),
            .init("geometry.sectors", 0x13, 1, when: "GEOMETRY"), .init("blk_size", 0x14, 4, when: "BLK_SIZE"),
            .init("topology.physical_block_exp", 0x18, 1, when: "TOPOLOGY"),
            .init("topology.alignment_offset", 0x19, 1, when: "TOPOLOGY"),
            .init("topology.min_io_size", 0x1a, 2, when: "TOPOLOGY"),
            .init("topology.opt_io_size", 0x1c, 4, when: "TOPOLOGY"),
            .init("writeback", 0x20, 1, when: "CONFIG_WCE", aliases: ["wce"]),
            .init("num_queues", 0x22, 2, when: "MQ"),
            .init("max_discard_sectors", 0x24, 4, when: "DISCARD"), .init("max_discard_seg", 0x28, 4, when: "DISCARD"),
            .init("discard_sector_alignment", 0x2c, 4, when: "DISCARD"),
            .init("max_write_zeroes_sectors", 0x30, 4, when: "WRITE_ZEROES"),
            .init("max_write_zeroes_seg", 0x34, 4, when: "WRITE_ZEROES"),
            .init("write_zeroes_may_unmap", 0x38, 1, when: "WRITE_ZEROES"),
            .init("max_secure_erase_sectors", 0x3c, 4, when: "SECURE_ERASE"),
            .init("max_secure_erase_seg", 0x40, 4, when: "SECURE_ERASE"),
            .init("secure_erase_sector_alignment", 0x44, 4, when: "SECURE_ERASE"),
            .init("zoned.zone_sectors", 0x48, 4, when: "ZONED"), .init("zoned.max_open_zones", 0x4c, 4, when: "ZONED"),
            .init("zoned.max_active_zones", 0x50, 4, when: "ZONED"),
            .init("zoned.max_append_sectors", 0x54, 4, when: "ZONED"),
            .init("zoned.write_granularity", 0x58, 4, when: "ZONED"), .init("zoned.model", 0x5c, 1, when: "ZONED"),
        ],
        3: [
            .init("cols", 0x00, 2, when: "SIZE"), .init("rows", 0x02, 2, when: "SIZE"),
            .init("max_nr_ports", 0x04, 4, when: "MULTIPORT"), .init("emerg_wr", 0x08, 4, when: "EMERG_WRITE"),
        ],
        5: [
            .init("num_pages", 0x00, 4), .init("actual", 0x04, 4),
            .init("free_page_hint_cmd_id", 0x08, 4, when: "FREE_PAGE_HINT"),
            .init("poison_val", 0x0c, 4, when: "PAGE_POISON"),
        ],
        8: [
            .init("num_queues", 0x00, 4), .init("seg_max", 0x04, 4), .init("max_sectors", 0x08, 4),
            .init("cmd_per_lun", 0x0c, 4), .init("event_info_size", 0x10, 4), .init("sense_size", 0x14, 4),
            .init("cdb_size", 0x18, 4), .init("max_channel", 0x1c, 2), .init("max_target", 0x1e, 2),
            .init("max_lun", 0x20, 4),
        ],
        9: [.init("tag_len", 0x00, 2, when: "MOUNT_TAG"), .init("tag", 0x02, 0, when: "MOUNT_TAG", aliases: ["mount_tag"])],
        16: [
            .init("events_read", 0x00, 4), .init("events_clear", 0x04, 4), .init("num_scanouts", 0x08, 4),
            .init("num_capsets", 0x0c, 4), .init("blob_alignment", 0x10, 4, when: "BLOB_ALIGNMENT"),
        ],
        18: [
            .init("select", 0x00, 1), .init("subsel", 0x01, 1), .init("size", 0x02, 1),
            // The 128-byte union, under the names the agent reports for each `select` value.
            .init("name", 0x08, 128), .init("serial", 0x08, 128), .init("devids", 0x08, 8),
            .init("prop_bits", 0x08, 128), .init("ev_bits", 0x08, 128), .init("abs_info", 0x08, 20),
        ],
        19: [.init("guest_cid", 0x00, 8)],
        20: [
            .init("status", 0x00, 4), .init("max_dataqueues", 0x04, 4), .init("crypto_services", 0x08, 4),
            .init("cipher_algo_l", 0x0c, 4), .init("cipher_algo_h", 0x10, 4), .init("hash_algo", 0x14, 4),
            .init("mac_algo_l", 0x18, 4), .init("mac_algo_h", 0x1c, 4), .init("aead_algo", 0x20, 4),
            .init("max_cipher_key_len", 0x24, 4), .init("max_auth_key_len", 0x28, 4),
            .init("akcipher_algo", 0x2c, 4), .init("max_size", 0x30, 8),
        ],
        23: [
            .init("page_size_mask", 0x00, 8),
            .init("input_range.start", 0x08, 8, when: "INPUT_RANGE"), .init("input_range.end", 0x10, 8, when: "INPUT_RANGE"),
            .init("domain_range.start", 0x18, 4, when: "DOMAIN_RANGE"),
            .init("domain_range.end", 0x1c, 4, when: "DOMAIN_RANGE"),
            .init("probe_size", 0x20, 4, when: "PROBE"), .init("bypass", 0x24, 1, when: "BYPASS_CONFIG"),
        ],
        24: [
            .init("block_size", 0x00, 8), .init("node_id", 0x08, 2), .init("addr", 0x10, 8),
            .init("region_size", 0x18, 8), .init("usable_region_size", 0x20, 8), .init("plugged_size", 0x28, 8),
            .init("requested_size", 0x30, 8),
        ],
        25: [
            .init("jacks", 0x00, 4), .init("streams", 0x04, 4), .init("chmaps", 0x08, 4),
            .init("controls", 0x0c, 4, when: "CTLS"),
        ],
        26: [
            .init("tag", 0x00, 36), .init("num_request_queues", 0x24, 4),
            .init("notify_buf_size", 0x28, 4, when: "NOTIFICATION"),
        ],
        27: [.init("start", 0x00, 8), .init("size", 0x08, 8)],
        28: [.init("capacity", 0x00, 1), .init("max_wr_cnt", 0x01, 1), .init("max_rd_cnt", 0x02, 1)],
        36: [.init("status", 0x00, 2)],
        40: [.init("type", 0x00, 1), .init("vendor", 0x01, 2), .init("msft_opcode", 0x03, 2)],
        41: [.init("ngpio", 0x00, 2), .init("gpio_names_size", 0x04, 4)],
        45: [
            .init("cs_max_number", 0x00, 1), .init("cs_change_supported", 0x01, 1),
            .init("tx_nbits_supported", 0x02, 1), .init("rx_nbits_supported", 0x03, 1),
            .init("bits_per_word_mask", 0x04, 4), .init("mode_func_supported", 0x08, 4),
            .init("max_freq_hz", 0x0c, 4), .init("max_word_delay_ns", 0x10, 4), .init("max_cs_setup_ns", 0x14, 4),
            .init("max_cs_hold_ns", 0x18, 4), .init("max_cs_inactive_ns", 0x1c, 4),
        ],
        48: [.init("device_caps", 0x00, 4), .init("device_type", 0x04, 4), .init("card", 0x08, 32)],
    ]
}
