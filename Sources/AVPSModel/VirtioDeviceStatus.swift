/// The virtio device status register (VIRTIO 1.4 §2.1; reference/virtio.md §4.1).
///
/// Scoring reads it to tell "driver bound and running" from "driver gave up" or "device broke",
/// which sysfs reports only as a number.
public struct VirtioDeviceStatus: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let acknowledge = VirtioDeviceStatus(rawValue: 0x01)
    public static let driver = VirtioDeviceStatus(rawValue: 0x02)
    public static let driverOK = VirtioDeviceStatus(rawValue: 0x04)
    public static let featuresOK = VirtioDeviceStatus(rawValue: 0x08)
    public static let suspend = VirtioDeviceStatus(rawValue: 0x10)
    public static let needsReset = VirtioDeviceStatus(rawValue: 0x40)
    public static let failed = VirtioDeviceStatus(rawValue: 0x80)

    private static let names: [(VirtioDeviceStatus, String)] = [
        (.acknowledge, "ACKNOWLEDGE"), (.driver, "DRIVER"), (.driverOK, "DRIVER_OK"),
        (.featuresOK, "FEATURES_OK"), (.suspend, "SUSPEND"), (.needsReset, "DEVICE_NEEDS_RESET"),
        (.failed, "FAILED"),
    ]

    /// Hex value plus the set flags, e.g. `0x0f (ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK)`.
    public var description: String {
        let hex = "0x" + (rawValue < 0x10 ? "0" : "") + String(rawValue, radix: 16)
        let flags = Self.names.filter { contains($0.0) }.map(\.1)
        return flags.isEmpty ? hex : "\(hex) (\(flags.joined(separator: "|")))"
    }
}
