import AVPSModel
import Foundation
import HypervisorCore

/// One virtio device as QEMU itself describes it over QMP (`x-query-virtio` +
/// `x-query-virtio-status`): an oracle for what the guest agent reads from the transport.
public struct QEMUVirtioDevice: Sendable, Equatable {
    /// QOM path of the virtio backend, e.g. `/machine/peripheral/dev-block0/virtio-backend`.
    public var path: String
    /// QEMU's device name, e.g. `virtio-blk`.
    public var name: String
    public var deviceID: Int
    /// PCI address `0000:00:03.0` when QEMU lists the proxy in `query-pci` under its qdev id.
    public var busAddress: String?
    /// Every bit QEMU offers (host-features), in QEMU's internal 64-bit view.
    public var hostFeatures: FeatureBits
    /// Feature names QEMU printed that no table here maps to a bit (should stay empty).
    public var unmappedNames: [String]
    /// Virtqueues the device created (`num-vqs`), nil when QEMU did not say.
    public var queueCount: Int?

    public init(path: String, name: String, deviceID: Int, busAddress: String?, hostFeatures: FeatureBits,
                unmappedNames: [String], queueCount: Int? = nil) {
        self.path = path
        self.name = name
        self.deviceID = deviceID
        self.busAddress = busAddress
        self.hostFeatures = hostFeatures
        self.unmappedNames = unmappedNames
        self.queueCount = queueCount
    }

    /// The bits a driver sees through the modern interface. QEMU keeps legacy-only bits in its
    /// internal word and hides them from the modern `device_feature` registers: 24
    /// (NOTIFY_ON_EMPTY), 27 (ANY_LAYOUT), 30 (the "bad feature" bit, also
    /// VHOST_USER_F_PROTOCOL_FEATURES) and, for net, 6 (GSO). See reference/virtio.md §5.3/§7.3.
    public var modernView: FeatureBits {
        var hidden: Set<Int> = [24, 27, 30]
        if deviceID == 1 { hidden.insert(6) }
        return FeatureBits(hostFeatures.bits.filter { !hidden.contains($0) })
    }

    /// The bits the legacy I/O BAR's HOST_FEATURES register shows: the low 32 bits, hidden ones included.
    public var legacyView: FeatureBits {
        FeatureBits(hostFeatures.bits.filter { $0 < 32 })
    }
}

/// Reads QEMU's own view of its virtio devices over an open QMP connection.
public enum QEMUVirtioStatus {
    /// Lists every virtio backend with its host features and, where it can, its PCI address.
    public static func query(_ qmp: QMPClient, deadline: ContinuousClock.Instant) async throws(HypervisorError) -> [QEMUVirtioDevice] {
        let listed = try json(await qmp.execute("x-query-virtio", deadline: deadline)) as? [[String: Any]] ?? []
        let addresses = pciAddresses(try json(await qmp.execute("query-pci", deadline: deadline)))
        var devices: [QEMUVirtioDevice] = []
        for entry in listed {
            guard let path = entry["path"] as? String else { continue }
            let arguments = "{\"path\":\(quoted(path))}"
            let status = try json(await qmp.execute("x-query-virtio-status", arguments: arguments, deadline: deadline))
            guard let status = status as? [String: Any] else { continue }
            let deviceID = status["device-id"] as? Int ?? -1
            let host = status["host-features"] as? [String: Any] ?? [:]
            let (bits, unmapped) = decodeFeatures(host, deviceID: deviceID)
            devices.append(QEMUVirtioDevice(
                path: path, name: status["name"] as? String ?? entry["name"] as? String ?? "",
                deviceID: deviceID, busAddress: qdevID(of: path).flatMap { addresses[$0] },
                hostFeatures: bits, unmappedNames: unmapped, queueCount: status["num-vqs"] as? Int))
        }
        return devices
    }

    /// Names QEMU 7.2 prints that are not spec constants of the device.
    static let qemuNames: [String: Int] = [
        "VHOST_USER_F_PROTOCOL_FEATURES": 30, "VIRTIO_F_BAD_FEATURE": 30, "VHOST_F_LOG_ALL": 26,
        "VIRTIO_F_IOMMU_PLATFORM": 33, "VIRTIO_RING_F_INDIRECT_DESC": 28, "VIRTIO_RING_F_EVENT_IDX": 29,
    ]

    /// Turns a decoded QMP feature object (`transports`, `dev-features`: "NAME: text" strings,
    /// `unknown-dev-features`: a number) back into bit numbers.
    public static func decodeFeatures(_ object: [String: Any], deviceID: Int) -> (FeatureBits, [String]) {
        var bits: [Int] = []
        var unmapped: [String] = []
        let names = (object["transports"] as? [String] ?? []) + (object["dev-features"] as? [String] ?? [])
        for text in names {
            let name = String(text.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
            if let bit = qemuNames[name] ?? VirtioCatalogue.feature(named: name, forDevice: deviceID)?.bit {
                bits.append(bit)
            } else {
                unmapped.append(name)
            }
        }
        if let unknown = object["unknown-dev-features"] as? UInt64 ?? (object["unknown-dev-features"] as? Int).map(UInt64.init) {
            bits += (0..<64).filter { unknown >> UInt64($0) & 1 == 1 }
        }
        return (FeatureBits(bits), unmapped)
    }

    /// `/machine/peripheral/<id>/virtio-backend` -> `<id>`; anonymous devices have none.
    static func qdevID(of path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[1] == "peripheral" else { return nil }
        return String(parts[2])
    }

    /// qdev id -> `0000:BB:SS.F` for devices on PCI bus 0 (query-pci's first level).
    static func pciAddresses(_ value: Any) -> [String: String] {
        var result: [String: String] = [:]
        for bus in value as? [[String: Any]] ?? [] {
            for device in bus["devices"] as? [[String: Any]] ?? [] {
                guard let id = device["qdev_id"] as? String, !id.isEmpty,
                      let busNumber = device["bus"] as? Int, let slot = device["slot"] as? Int,
                      let function = device["function"] as? Int else { continue }
                result[id] = String(format: "0000:%02x:%02x.%x", busNumber, slot, function)
            }
        }
        return result
    }

    private static func json(_ text: String) throws(HypervisorError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw .control("malformed QMP return: \(text.prefix(200))")
        }
    }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
