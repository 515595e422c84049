/// One named virtio feature bit, either device-independent (transport) or device-specific.
public struct VirtioFeature: Sendable, Hashable, CustomStringConvertible {
    public let bit: Int
    /// Short profile-facing name, e.g. `VERSION_1` or `FLUSH`.
    public let name: String
    /// nil for a device-independent bit.
    public let deviceID: Int?
    /// The spec constant, e.g. `VIRTIO_F_VERSION_1` or `VIRTIO_BLK_F_FLUSH`.
    public let constant: String
    /// Older or Linux spellings that also resolve (full constants, e.g. `VIRTIO_F_IOMMU_PLATFORM`).
    public let aliases: [String]

    public var description: String { constant }

    init(bit: Int, name: String, deviceID: Int?, constant: String, aliases: [String] = []) {
        self.bit = bit
        self.name = name
        self.deviceID = deviceID
        self.constant = constant
        self.aliases = aliases
    }

    /// Every spelling a profile may use: the short name, the constant, the constant without
    /// `VIRTIO_`, and the same for each alias. All upper case.
    public var spellings: Set<String> {
        var result: Set<String> = [name]
        for full in [constant] + aliases {
            result.insert(full)
            if full.hasPrefix("VIRTIO_") { result.insert(String(full.dropFirst("VIRTIO_".count))) }
        }
        return result
    }
}

extension VirtioFeature {
    /// Builds a table of device-specific bits, deriving constants from the device's prefix.
    static func table(device id: Int, prefix: String, _ entries: [(Int, String)],
                      aliases: [String: [String]] = [:]) -> [VirtioFeature] {
        entries.map { bit, name in
            VirtioFeature(bit: bit, name: name, deviceID: id, constant: "VIRTIO_\(prefix)_F_\(name)",
                          aliases: aliases[name] ?? [])
        }
    }
}
