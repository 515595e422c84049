import AVPSModel

/// Reads one entry of a profile's `requirements` sequence.
enum RequirementReader {
    static let keys = ["key", "title", "chapter", "category", "level", "applies_if", "check", "virtio",
                       "virtio_normative", "spec_version", "normative", "confidence", "source", "rationale"]
    static let conditionKinds = ["device_present", "not_withheld", "probe"]

    /// The requirement and the reader of its `key` field (the duplicate check needs its line).
    static func read(_ item: YAMLNodeReader) throws(LoadError) -> (Requirement, YAMLNodeReader) {
        let mapping = try item.mapping(allowedKeys: keys)
        let keyReader = try mapping.required("key")
        let key = try keyReader.nonEmptyString()
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw keyReader.error("requirement keys may use letters, digits, '-', '_' and '.' only (found \"\(key)\")")
        }
        var requirement = Requirement(
            key: key,
            title: try mapping.requiredString("title"),
            chapter: try mapping.requiredString("chapter"),
            category: try mapping.requiredString("category"),
            level: try mapping.requiredEnum("level", RequirementLevel.self),
            appliesIf: try mapping.optional("applies_if").map { reader throws(LoadError) in try condition(reader) },
            check: try mapping.optional("check").map { reader throws(LoadError) in try CheckReader.check(reader) },
            virtioReference: try mapping.optionalString("virtio"),
            virtioNormative: try normativeLabel(mapping.optional("virtio_normative")),
            confidence: try mapping.requiredEnum("confidence", Confidence.self),
            rationale: try oneLine(mapping.required("rationale")),
            specVersion: try mapping.optionalString("spec_version"),
            normative: try mapping.optional("normative")?.bool() ?? true)
        requirement.source = try source(mapping, confidence: requirement.confidence)
        return (requirement, keyReader)
    }

    /// One or more conditions, all of which must hold, judged in file order:
    /// `{ device_present: block }` (or `{ device_present: { device: block } }`),
    /// `{ not_withheld: watchdog }` (a suite device kind),
    /// `{ probe: { name: platform.buses, fact: can_count, op: ge, value: 1 } }`.
    static func condition(_ reader: YAMLNodeReader) throws(LoadError) -> Condition {
        let mapping = try reader.mapping(allowedKeys: conditionKinds)
        guard !mapping.entries.isEmpty else {
            throw reader.error("expected at least one of \(conditionKinds.joined(separator: ", "))")
        }
        let parts = try mapping.entries.map { entry throws(LoadError) -> Condition in
            switch entry.key {
            case "device_present": return .devicePresent(try DeviceReader.selector(entry.value))
            case "not_withheld":
                let kind = try entry.value.nonEmptyString()
                guard DeviceSpec.kinds.contains(kind) else {
                    throw entry.value.error("unknown device kind \"\(kind)\" (known: \(DeviceSpec.kinds.joined(separator: ", ")))"
                                            + YAMLNodeReader.suggestion(for: kind, among: DeviceSpec.kinds))
                }
                return .notWithheld(kind: kind)
            default:
                let fields = try entry.value.mapping(allowedKeys: ["name", "fact", "op", "value"])
                let name = try CheckReader.identifier(fields.required("name"), dotted: true, what: "probe name (e.g. platform.buses)")
                let fact = try CheckReader.identifier(fields.required("fact"), dotted: false, what: "fact name")
                return .probe(name: name, fact: fact, try CheckReader.comparison(fields))
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    /// `source: { url: …, version: … }`: required for `confidence: draft-sourced` (a level taken
    /// from a draft must say which draft), refused for `derived` (nothing was sourced).
    static func source(_ mapping: YAMLMapping, confidence: Confidence) throws(LoadError) -> RequirementSource? {
        guard let reader = mapping.optional("source") else {
            if confidence == .draftSourced {
                throw try mapping.required("confidence").error("confidence: draft-sourced needs a source: { url: ..., version: ... } naming the draft")
            }
            return nil
        }
        guard confidence != .derived else {
            throw reader.error("a source belongs to draft-sourced or text-verified requirements; derived ones have none")
        }
        let fields = try reader.mapping(allowedKeys: ["url", "version"])
        let urlReader = try fields.required("url")
        let url = try urlReader.nonEmptyString()
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw urlReader.error("source url must be an http(s) URL (found \"\(url)\")")
        }
        return RequirementSource(url: url, version: try fields.requiredString("version"))
    }

    /// VIRTIO labels look like `devicenormative:Device Types / Block Device / Device Operation`.
    static func normativeLabel(_ reader: YAMLNodeReader?) throws(LoadError) -> String? {
        guard let reader else { return nil }
        let label = try reader.nonEmptyString()
        let prefixes = ["devicenormative:", "drivernormative:"]
        guard prefixes.contains(where: label.hasPrefix) else {
            throw reader.error("a VIRTIO normative label starts with devicenormative: or drivernormative: (found \"\(label)\")")
        }
        return label
    }

    /// A rationale is one line in our own words; several lines usually mean pasted spec text.
    static func oneLine(_ reader: YAMLNodeReader) throws(LoadError) -> String {
        var text = try reader.nonEmptyString()
        while text.last?.isNewline == true { text.removeLast() }
        guard !text.contains(where: \.isNewline) else {
            throw reader.error("a rationale is one line in your own words (cite chapter and version; never paste spec text)")
        }
        return text
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

    /// A config field of the selected device (its spec name); `any` has no config fields.
    static func configField(_ reader: YAMLNodeReader, for selector: DeviceSelector) throws(LoadError) -> String {
        let name = try reader.nonEmptyString()
        guard let id = selector.deviceID else {
            throw reader.error("config fields belong to one device type; name a device instead of any")
        }
        if let field = VirtioCatalogue.configField(named: name, forDevice: id) { return field.name }
        let known = VirtioCatalogue.configFields(forDevice: id).map(\.name)
        guard !known.isEmpty else { throw reader.error("device \(selector) has no device-specific config fields") }
        let hint = VirtioCatalogue.nearestConfigFieldNames(to: name, forDevice: id, limit: 1).first
            .map { "; did you mean \"\($0)\"?" } ?? " (known: \(known.joined(separator: ", ")))"
        throw reader.error("unknown config field \"\(name)\" for device \(selector)" + hint)
    }
}
