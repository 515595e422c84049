extension VirtioCatalogue {
    /// The features a profile may name for a device: the device-independent bits plus, for a
    /// specific device, its own bits. `deviceID == nil` means "any device", where only the
    /// device-independent bits make sense.
    public static func features(forDevice deviceID: Int?) -> [VirtioFeature] {
        guard let deviceID else { return transportFeatureTable }
        return transportFeatureTable + (deviceFeatureTables[deviceID] ?? [])
    }

    /// Resolves a feature name for a device. Accepts the short name (`VERSION_1`, `FLUSH`), the
    /// spec constant (`VIRTIO_F_VERSION_1`, `VIRTIO_BLK_F_FLUSH`), the constant without
    /// `VIRTIO_` (`F_VERSION_1`, `BLK_F_FLUSH`) and known older or Linux spellings, in any case.
    public static func feature(named name: String, forDevice deviceID: Int?) -> VirtioFeature? {
        let wanted = name.uppercased()
        return features(forDevice: deviceID).first { $0.spellings.contains(wanted) }
    }

    /// Devices whose own (device-specific) features include `name`, for hints such as
    /// "FLUSH is a block feature" when a profile asks for it on the wrong device.
    public static func devicesDefiningFeature(named name: String) -> [Int] {
        let wanted = name.uppercased()
        return deviceFeatureTables.keys.sorted().filter { id in
            deviceFeatureTables[id]?.contains { $0.spellings.contains(wanted) } ?? false
        }
    }

    /// The feature a bit stands for on a device. Device-independent names win where a legacy
    /// device-specific bit collides (net 41: ADMIN_VQ over GUEST_RSC4), since modern devices
    /// are what AVPS is about.
    public static func feature(bit: Int, forDevice deviceID: Int?) -> VirtioFeature? {
        let all = features(forDevice: deviceID)
        return all.first { $0.bit == bit }
    }

    /// A short display name for a bit, falling back to `bit N` for bits with no known name.
    public static func featureName(bit: Int, forDevice deviceID: Int?) -> String {
        feature(bit: bit, forDevice: deviceID)?.name ?? "bit \(bit)"
    }

    /// Up to `limit` known feature names closest to an unknown one, for "did you mean" hints.
    public static func nearestFeatureNames(to name: String, forDevice deviceID: Int?, limit: Int = 3) -> [String] {
        let wanted = shortFeatureName(name.uppercased(), deviceID: deviceID)
        return nearest(to: wanted, among: features(forDevice: deviceID).map(\.name), limit: limit)
    }

    /// Up to `limit` device short names closest to an unknown one.
    public static func nearestDeviceNames(to name: String, limit: Int = 3) -> [String] {
        nearest(to: name.lowercased(), among: devices.map(\.shortName), limit: limit)
    }

    /// Candidates within a small edit distance of `name`, closest first (ties keep table order).
    ///
    /// The threshold grows with the length of the name (a third of it, at least 2) so that short
    /// names do not suggest unrelated ones while long constants still tolerate a couple of typos.
    public static func nearest(to name: String, among candidates: [String], limit: Int = 3) -> [String] {
        let threshold = max(2, name.count / 3)
        let scored = candidates.enumerated().compactMap { index, candidate -> (Int, Int, String)? in
            let distance = EditDistance.levenshtein(name, candidate)
            return distance <= threshold ? (distance, index, candidate) : nil
        }
        var seen: Set<String> = []
        return scored.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            .map(\.2)
            .filter { seen.insert($0).inserted }
            .prefix(limit)
            .map { $0 }
    }

    /// Strips `VIRTIO_`, `F_` and the device's `<PREFIX>_F_` so a misspelt constant is compared
    /// with short names on equal terms.
    private static func shortFeatureName(_ name: String, deviceID: Int?) -> String {
        var result = Substring(name)
        if result.hasPrefix("VIRTIO_") { result = result.dropFirst("VIRTIO_".count) }
        if let prefix = deviceID.flatMap({ device(id: $0)?.featurePrefix }), result.hasPrefix(prefix + "_F_") {
            result = result.dropFirst(prefix.count + 3)
        } else if result.hasPrefix("F_") {
            result = result.dropFirst(2)
        }
        return String(result)
    }
}
