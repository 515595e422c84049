/// Names of virtio device ids and feature bits (VIRTIO 1.4, see shared/reference/virtio.md).
///
/// Kept as data, not logic: profiles refer to devices and features by name, and every name is
/// checked against this table so a typo is an error rather than a silently failing check.
public enum VirtioCatalogue {
    /// Profile-facing short names of device ids.
    public static let deviceNames: [Int: String] = [
        1: "net", 2: "block", 3: "console", 4: "entropy", 5: "balloon", 8: "scsi", 9: "9p",
        16: "gpu", 18: "input", 19: "vsock", 20: "crypto", 23: "iommu", 24: "mem", 25: "sound",
        26: "fs", 27: "pmem", 28: "rpmb", 32: "scmi", 34: "i2c", 35: "watchdog", 36: "can",
        40: "bluetooth", 41: "gpio",
    ]

    public static func deviceName(_ id: Int) -> String? { deviceNames[id] }

    public static func deviceID(named name: String) -> Int? {
        deviceNames.first { $0.value == name }?.key
    }

    /// Device-independent (transport) feature bits.
    public static let transportFeatures: [String: Int] = [
        "NOTIFY_ON_EMPTY": 24, "ANY_LAYOUT": 27, "INDIRECT_DESC": 28, "EVENT_IDX": 29,
        "VERSION_1": 32, "ACCESS_PLATFORM": 33, "RING_PACKED": 34, "IN_ORDER": 35,
        "ORDER_PLATFORM": 36, "SR_IOV": 37, "NOTIFICATION_DATA": 38, "NOTIF_CONFIG_DATA": 39,
        "RING_RESET": 40, "ADMIN_VQ": 41, "SUSPEND": 43,
    ]
}
