/// One field of a device's device-specific configuration space (reference/virtio.md §3).
///
/// Profiles name fields in `config` checks; the loader rejects a field the device does not have,
/// and scoring uses `validWith` to tell "the device does not provide this field" (a FAIL) from
/// "the agent did not decode it" (SKIPPED).
public struct VirtioConfigField: Sendable, Hashable {
    /// Spec field name; nested structs are dotted (`geometry.cylinders`, `input_range.start`).
    public let name: String
    /// Byte offset in the device-specific configuration region.
    public let offset: Int
    /// Size in bytes.
    public let size: Int
    /// Device-specific features (short names) any one of which makes the field valid; empty
    /// when the field is always valid.
    public let validWith: [String]
    /// Other spellings (Linux's `wce` for `writeback`).
    public let aliases: [String]

    /// Every name the field may be reported or written under: the spec name, the name with
    /// `_` for `.` (`input_range_start`), the last component (`cylinders`), and the aliases.
    public var spellings: [String] {
        var result = [name]
        for candidate in [name.replacingDots(), name.split(separator: ".").last.map(String.init) ?? name] + aliases
        where !result.contains(candidate) {
            result.append(candidate)
        }
        return result
    }

    init(_ name: String, _ offset: Int, _ size: Int, when features: String..., aliases: [String] = []) {
        self.name = name
        self.offset = offset
        self.size = size
        self.validWith = features
        self.aliases = aliases
    }
}

extension VirtioCatalogue {
    /// The config fields of a device, empty for devices without config space or unknown ids.
    public static func configFields(forDevice deviceID: Int) -> [VirtioConfigField] {
        configFieldTables[deviceID] ?? []
    }

    /// Resolves a field name (or alias, case-insensitive) for a device.
    public static func configField(named name: String, forDevice deviceID: Int) -> VirtioConfigField? {
        let wanted = name.lowercased()
        return configFields(forDevice: deviceID).first { $0.name == wanted }
            ?? configFields(forDevice: deviceID).first { $0.spellings.contains(wanted) }
    }

    /// Up to `limit` field names of the device closest to an unknown one.
    public static func nearestConfigFieldNames(to name: String, forDevice deviceID: Int, limit: Int = 3) -> [String] {
        nearest(to: name.lowercased(), among: configFields(forDevice: deviceID).map(\.name), limit: limit)
    }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
