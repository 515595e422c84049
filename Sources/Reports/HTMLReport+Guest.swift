import AVPSModel

extension HTMLReport {
    /// Guest identity and the virtio device inventory the agent reported: the facts every verdict
    /// on this page rests on.
    static func guestSection(_ evidence: Evidence?) -> HTML {
        guard let evidence else {
            return "<h3>Guest</h3><p>No evidence: the guest agent never answered.</p>"
        }
        let guest = evidence.guest
        let rows = evidence.devices.map { device -> HTML in
            let name = VirtioCatalogue.deviceName(device.deviceID).map { " (\($0))" } ?? ""
            let features = device.negotiatedFeatures.bits.isEmpty ? "none" : device.negotiatedFeatures.description
            return """
            <tr><td><code>\(device.name)</code></td><td>\(device.deviceID)\(name)</td>\
            <td>\(device.transport.rawValue)</td><td>\(device.busAddress, default: "–")</td>\
            <td>\(device.pciDeviceID.map(hex) ?? "–")</td><td><code>\(features)</code></td>\
            <td>\(hex(device.status)) \(statusFlags(device.status))</td><td>\(device.driver, default: "none bound")</td></tr>
            """
        }
        let table: HTML = evidence.devices.isEmpty ? "<p>The guest reported no virtio devices.</p>" : """
            <table class="devices">
            <caption>Virtio devices (\(evidence.devices.count))</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Device id</th><th scope="col">Transport</th>\
            <th scope="col">Bus address</th><th scope="col">PCI id</th><th scope="col">Negotiated feature bits</th>\
            <th scope="col">Status</th><th scope="col">Driver</th></tr></thead>
            <tbody>
            \(HTML.joined(rows, separator: "\n"))
            </tbody>
            </table>
            """
        return """
        <h3>Guest</h3>
        <dl class="facts">
        <dt>Kernel</dt><dd>\(guest.kernelRelease)</dd>
        <dt>Machine</dt><dd>\(guest.machine)</dd>
        <dt>Agent</dt><dd>\(guest.agentVersion) (protocol \(guest.protocolVersion))</dd>
        </dl>
        \(table)
        """
    }

    static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 2 - digits.count)) + digits
    }

    /// Names of the set device status bits (VIRTIO §2.1), so a reader need not decode `0x0f`.
    static func statusFlags(_ status: Int) -> String {
        let names: [(Int, String)] = [(1, "ACKNOWLEDGE"), (2, "DRIVER"), (4, "DRIVER_OK"), (8, "FEATURES_OK"),
                                      (64, "DEVICE_NEEDS_RESET"), (128, "FAILED")]
        let set = names.filter { status & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "(reset)" : "(" + set.joined(separator: " ") + ")"
    }
}
