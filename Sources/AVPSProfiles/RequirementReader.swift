import AVPSModel

/// Reads one entry of a profile's `requirements` sequence.
enum RequirementReader {
    static let keys = ["key", "title", "chapter", "category", "level", "applies_if", "check", "virtio",
                       "confidence", "rationale"]
    static let checkKinds = ["device_present", "feature_negotiated", "driver_ready"]
    static let conditionKinds = ["device_present"]

    /// The requirement and the reader of its `key` field (the duplicate check needs its line).
    static func read(_ item: YAMLNodeReader) throws(LoadError) -> (Requirement, YAMLNodeReader) {
        let mapping = try item.mapping(allowedKeys: keys)
        let keyReader = try mapping.required("key")
        let requirement = Requirement(
            key: try keyReader.nonEmptyString(),
            title: try mapping.requiredString("title"),
            chapter: try mapping.requiredString("chapter"),
            category: try mapping.requiredString("category"),
            level: try mapping.requiredEnum("level", RequirementLevel.self),
            appliesIf: try mapping.optional("applies_if").map { reader throws(LoadError) in try condition(reader) },
            check: try mapping.optional("check").map { reader throws(LoadError) in try check(reader) },
            virtioReference: try mapping.optionalString("virtio"),
            confidence: try mapping.requiredEnum("confidence", Confidence.self),
            rationale: try mapping.requiredString("rationale"))
        return (requirement, keyReader)
    }

    /// `{ device_present: block }` or `{ device_present: { device: block } }`.
    static func condition(_ reader: YAMLNodeReader) throws(LoadError) -> Condition {
        let mapping = try reader.mapping(allowedKeys: conditionKinds)
        let (_, value) = try mapping.exactlyOne(of: conditionKinds)
        return .devicePresent(try DeviceReader.selector(value))
    }

    /// One of `device_present`, `feature_negotiated`, `driver_ready`.
    static func check(_ reader: YAMLNodeReader) throws(LoadError) -> Check {
        let mapping = try reader.mapping(allowedKeys: checkKinds)
        let (kind, value) = try mapping.exactlyOne(of: checkKinds)
        switch kind {
        case "device_present":
            return .devicePresent(try DeviceReader.selector(value))
        case "driver_ready":
            return .driverReady(try DeviceReader.selector(value))
        default:
            let fields = try value.mapping(allowedKeys: ["device", "feature"])
            let selector = try DeviceReader.selector(fields.required("device"))
            let bit = try DeviceReader.feature(fields.required("feature"), for: selector)
            return .featureNegotiated(selector, bit: bit)
        }
    }
}

/// Resolves device and feature names against `VirtioCatalogue`.
enum DeviceReader {
    /// A device name (`block`, `any`), either bare or as `{ device: block }`.
    static func selector(_ reader: YAMLNodeReader) throws(LoadError) -> DeviceSelector {
        if case .mapping = reader.node {
            return try selector(reader.mapping(allowedKeys: ["device"]).required("device"))
        }
        let name = try reader.nonEmptyString()
        if name.lowercased() == "any" { return .any }
        guard let id = VirtioCatalogue.deviceID(named: name) else {
            let hint = VirtioCatalogue.nearestDeviceNames(to: name, limit: 1).first.map { "; did you mean \"\($0)\"?" }
            throw reader.error("unknown device \"\(name)\"" + (hint ?? " (see VirtioCatalogue.devices, or use any)"))
        }
        return .deviceID(id)
    }

    /// A feature name valid for the selected device; `any` allows only device-independent bits.
    static func feature(_ reader: YAMLNodeReader, for selector: DeviceSelector) throws(LoadError) -> Int {
        let name = try reader.nonEmptyString()
        if let feature = VirtioCatalogue.feature(named: name, forDevice: selector.deviceID) { return feature.bit }
        var message = "unknown feature \"\(name)\" for device \(selector)"
        if let best = VirtioCatalogue.nearestFeatureNames(to: name, forDevice: selector.deviceID, limit: 1).first {
            message += "; did you mean \"\(best)\"?"
        }
        let owners = VirtioCatalogue.devicesDefiningFeature(named: name).compactMap(VirtioCatalogue.deviceName)
        if !owners.isEmpty {
            message += " (it is a feature of \(owners.joined(separator: ", ")))"
        }
        throw reader.error(message)
    }
}
