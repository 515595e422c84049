/// Names of virtio device ids and feature bits (VIRTIO 1.4, see shared/reference/virtio.md).
///
/// Kept as data, not logic: profiles refer to devices and features by name, and every name is
/// checked against this table so a typo is an error rather than a silently failing check.
/// The tables live in the `VirtioCatalogue+*.swift` files; this file holds the device-name API
/// that other modules already use.
public enum VirtioCatalogue {
    /// Profile-facing short names of device ids (`net`, `block`, `entropy`, ...).
    public static let deviceNames: [Int: String] = Dictionary(
        uniqueKeysWithValues: devices.map { ($0.id, $0.shortName) })

    /// The short name of a device id, or nil for ids the catalogue does not know.
    public static func deviceName(_ id: Int) -> String? { deviceNames[id] }

    /// The device id for a profile-facing name; also accepts a few common aliases
    /// (`rng` for `entropy`, `blk` for `block`) because those are what Linux and QEMU call them.
    public static func deviceID(named name: String) -> Int? {
        device(named: name)?.id
    }

    /// The full catalogue entry for a short name or alias (case-insensitive).
    public static func device(named name: String) -> VirtioDevice? {
        let wanted = name.lowercased()
        return devices.first { $0.shortName == wanted || $0.aliases.contains(wanted) }
    }

    /// The full catalogue entry for a device id.
    public static func device(id: Int) -> VirtioDevice? {
        devices.first { $0.id == id }
    }

    /// Device-independent (transport) feature bits by short name, kept for callers of the
    /// original contract; `transportFeatureTable` carries the full entries.
    public static let transportFeatures: [String: Int] = Dictionary(
        uniqueKeysWithValues: transportFeatureTable.map { ($0.name, $0.bit) })
}

/// One virtio device type.
public struct VirtioDevice: Sendable, Hashable {
    /// Virtio device id (not the PCI device id).
    public let id: Int
    /// Name in the VIRTIO 1.4 device-id table.
    public let specName: String
    /// Profile-facing name, lower case, stable (profiles and reports use it).
    public let shortName: String
    /// Other accepted spellings of `shortName`.
    public let aliases: [String]
    /// The infix of the device's feature constants, e.g. `BLK` in `VIRTIO_BLK_F_FLUSH`.
    public let featurePrefix: String?
    /// False for ids Linux defines but the VIRTIO device-id table does not list (37, dmabuf).
    public let listedInSpec: Bool

    init(_ id: Int, _ specName: String, _ shortName: String, aliases: [String] = [],
         prefix: String? = nil, listedInSpec: Bool = true) {
        self.id = id
        self.specName = specName
        self.shortName = shortName
        self.aliases = aliases
        self.featurePrefix = prefix
        self.listedInSpec = listedInSpec
    }
}
