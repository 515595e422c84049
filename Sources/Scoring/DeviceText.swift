import AVPSModel

/// How devices and their facts are written in reasons and evidence lines. One place, so that
/// reports read the same across checks.
enum DeviceText {
    /// `virtio2 (block, 0000:00:04.0)`, or `virtio2 (block)` without a bus address.
    static func label(_ device: VirtioDeviceRecord) -> String {
        let name = VirtioCatalogue.deviceName(device.deviceID) ?? "device \(device.deviceID)"
        let kind = device.agentChannel == true ? "\(name), avps agent channel" : name
        return device.busAddress.map { "\(device.name) (\(kind), \($0))" } ?? "\(device.name) (\(kind))"
    }

    /// `virtio2 (block, 0000:00:04.0): negotiated 9,28,29,32,40`.
    static func negotiated(_ device: VirtioDeviceRecord) -> String {
        let bits = device.negotiatedFeatures.bits.isEmpty ? "none" : device.negotiatedFeatures.description
        return "\(label(device)): negotiated \(bits)"
    }

    /// `virtio2 (block): offered 9,28,29,32 (via pci-cfg-window)`.
    static func offered(_ device: VirtioDeviceRecord) -> String {
        guard let bits = device.offered?.bits else { return "\(label(device)): offered unknown" }
        let method = device.offered?.method.map { " (via \($0))" } ?? ""
        return "\(label(device)): offered \(bits.bits.isEmpty ? "none" : bits.description)\(method)"
    }

    /// `virtio2 (block, 0000:00:04.0): driver virtio_blk, status 0x0f (...)`.
    static func driverState(_ device: VirtioDeviceRecord) -> String {
        let status = VirtioDeviceStatus(rawValue: device.status)
        return "\(label(device)): driver \(device.driver ?? "none"), status \(status)"
    }

    /// The whole inventory on one line, so a FAIL for a missing device shows what was there.
    static func inventory(_ devices: [VirtioDeviceRecord]) -> String {
        devices.isEmpty ? "inventory: no virtio devices" : "inventory: " + devices.map(label).joined(separator: ", ")
    }

    /// `block device`, or `virtio device` for `any`.
    static func noun(_ selector: DeviceSelector) -> String {
        switch selector {
        case .any: "virtio device"
        case .deviceID: "\(selector) device"
        }
    }

    /// `No block device is offered`.
    static func noneOffered(_ selector: DeviceSelector) -> String {
        "No \(noun(selector)) is offered"
    }

    /// `virtio3 (block) and virtio5 (console)`; three or more joined with commas.
    static func list(_ devices: [VirtioDeviceRecord]) -> String {
        let labels = devices.map(label)
        guard labels.count > 1, let last = labels.last else { return labels.first ?? "" }
        return labels.dropLast().joined(separator: ", ") + " and " + last
    }
}
