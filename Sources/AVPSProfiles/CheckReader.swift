import AVPSModel

/// Reads a requirement's `check:` (a one-key mapping naming the kind; Profiles/README.md).
enum CheckReader {
    static let kinds = ["device_present", "feature_negotiated", "driver_ready", "feature_offered",
                        "negotiated_subset_of_offered", "not_legacy", "standard_transport", "config", "probe", "host",
                        "hardware_virtualization", "inventory_corroborated", "system", "pci_modern_capabilities",
                        "legacy_interface", "mmio_version", "defined_feature_words"]

    static func check(_ reader: YAMLNodeReader) throws(LoadError) -> Check {
        let mapping = try reader.mapping(allowedKeys: kinds)
        let (kind, value) = try mapping.exactlyOne(of: kinds)
        switch kind {
        case "device_present": return .devicePresent(try DeviceReader.selector(value))
        case "driver_ready": return .driverReady(try DeviceReader.selector(value))
        case "negotiated_subset_of_offered": return .negotiatedSubsetOfOffered(try DeviceReader.selector(value))
        case "not_legacy": return .notLegacy(try DeviceReader.selector(value))
        case "standard_transport": return .standardTransport(try DeviceReader.selector(value))
        case "pci_modern_capabilities": return .pciModernCapabilities(try DeviceReader.selector(value))
        case "defined_feature_words": return .definedFeatureWords(try DeviceReader.selector(value))
        case "legacy_interface":
            let fields = try value.mapping(allowedKeys: ["device", "present"])
            return .legacyInterface(try DeviceReader.selector(fields.required("device")), present: try fields.required("present").bool())
        case "mmio_version":
            let fields = try value.mapping(allowedKeys: ["device", "version"])
            let versionReader = try fields.required("version")
            let version = try versionReader.int()
            guard [1, 2].contains(version) else {
                throw versionReader.error("virtio-mmio Version is 1 (legacy) or 2 (modern), not \(version)")
            }
            return .mmioVersion(try DeviceReader.selector(fields.required("device")), version: version)
        case "hardware_virtualization":
            _ = try value.mapping(allowedKeys: [])
            return .hardwareVirtualization
        case "inventory_corroborated":
            _ = try value.mapping(allowedKeys: [])
            return .inventoryCorroborated
        case "feature_negotiated", "feature_offered":
            let fields = try value.mapping(allowedKeys: ["device", "feature"])
            let selector = try DeviceReader.selector(fields.required("device"))
            let bit = try DeviceReader.feature(fields.required("feature"), for: selector)
            return kind == "feature_offered" ? .featureOffered(selector, bit: bit) : .featureNegotiated(selector, bit: bit)
        case "config":
            let fields = try value.mapping(allowedKeys: ["device", "field", "op", "value"])
            let selector = try DeviceReader.selector(fields.required("device"))
            let field = try DeviceReader.configField(fields.required("field"), for: selector)
            return .config(selector, field: field, try comparison(fields))
        case "probe":
            let fields = try value.mapping(allowedKeys: ["name", "device", "fact", "op", "value"])
            let name = try identifier(fields.required("name"), dotted: true, what: "probe name (e.g. block.integrity)")
            let device = try fields.optional("device").map { reader throws(LoadError) in try DeviceReader.selector(reader) }
            let fact = try identifier(fields.required("fact"), dotted: false, what: "fact name")
            return .probe(name: name, device: device, fact: fact, try comparison(fields))
        case "system":
            let fields = try value.mapping(allowedKeys: ["observation", "op", "value"])
            let observation = try identifier(fields.required("observation"), dotted: true,
                                             what: "system observation (e.g. storage_isolation.secret_found)")
            return .system(observation: observation, try comparison(fields))
        default:
            let fields = try value.mapping(allowedKeys: ["observation", "op", "value"])
            let observation = try identifier(fields.required("observation"), dotted: false,
                                             what: "host observation (e.g. boot_to_agent_seconds)")
            return .host(observation: observation, try comparison(fields))
        }
    }

    /// `op` and `value`: ordering operators need a number, `present` takes no value.
    static func comparison(_ fields: YAMLMapping) throws(LoadError) -> Comparison {
        let op = try fields.requiredEnum("op", ComparisonOperator.self)
        if op == .present {
            if let value = fields.optional("value") { throw value.error("op present takes no value; remove it") }
            return Comparison(.present)
        }
        let reader = try fields.required("value")
        let value = try factValue(reader)
        if op.isOrdering, !isNumber(value) {
            throw reader.error("op \(op.rawValue) compares numbers; \(reader.kind) is not a number")
        }
        return Comparison(op, value)
    }

    static func isNumber(_ value: FactValue) -> Bool {
        switch value {
        case .int, .double: true
        case .string, .bool, .list: false
        }
    }

    /// A scalar as the fact value it stands for: plain numbers and booleans keep their type,
    /// anything quoted is a string.
    static func factValue(_ reader: YAMLNodeReader) throws(LoadError) -> FactValue {
        let text = try reader.string()
        if case .scalar(let scalar) = reader.node, scalar.style == .plain {
            if let value = reader.node.int { return .int(Int64(value)) }
            if let value = reader.node.float { return .double(value) }
            if let value = reader.node.bool { return .bool(value) }
        }
        return .string(text)
    }

    /// Lower-case names with `_` (and `.` between parts when `dotted`), so typos stand out.
    static func identifier(_ reader: YAMLNodeReader, dotted: Bool, what: String) throws(LoadError) -> String {
        let name = try reader.nonEmptyString()
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed = parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } && part.first.map { $0.isLetter || $0.isNumber } == true
        }
        guard wellFormed, dotted || parts.count == 1 else {
            throw reader.error("\"\(name)\" is not a valid \(what): use lower-case letters, digits and '_'"
                               + (dotted ? ", parts separated by '.'" : ""))
        }
        return name
    }
}
