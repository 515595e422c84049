import AVPSModel

/// One profile file as written, before its `extends:` chain is resolved.
struct ProfileDocument {
    static let keys = ["schema", "id", "title", "spec_version", "extends", "requirements", "waivers", "levels", "justify"]

    /// An overlay's waiver of one inherited requirement.
    struct WaiverEntry {
        var key: String
        var keyReader: YAMLNodeReader
        var reason: String
        var owner: String
        var expires: CalendarDay
    }

    /// An overlay's new level for one inherited requirement.
    struct LevelEntry {
        var key: String
        var keyReader: YAMLNodeReader
        var level: RequirementLevel
        var reason: String
    }

    /// An overlay's justification of a SHOULD deviation.
    struct JustifyEntry {
        var key: String
        var keyReader: YAMLNodeReader
        var owner: String
        var reason: String
    }

    var id: String
    var title: String
    var specVersion: String?
    /// The `extends:` value, kept as a reader so errors about the base point at it.
    var extends: YAMLNodeReader?
    var requirements: [(Requirement, YAMLNodeReader)] = []
    var waivers: [WaiverEntry] = []
    var levels: [LevelEntry] = []
    var justifications: [JustifyEntry] = []

    /// Reads every part it can, recording each problem; nil only when the header is unusable.
    static func read(_ root: YAMLNodeReader, into diagnostics: inout Diagnostics) -> ProfileDocument? {
        guard let mapping = diagnostics.attempt({ () throws(LoadError) in try root.mapping(allowedKeys: keys) }) else {
            return nil
        }
        diagnostics.attempt { () throws(LoadError) in try checkSchema(mapping) }
        let id = diagnostics.attempt { () throws(LoadError) in try mapping.requiredString("id") }
        let title = diagnostics.attempt { () throws(LoadError) in try mapping.requiredString("title") }
        let extends = mapping.optional("extends")
        let specVersion = diagnostics.attempt { () throws(LoadError) -> String? in
            extends == nil ? try mapping.requiredString("spec_version") : try mapping.optionalString("spec_version")
        } ?? nil
        var document = ProfileDocument(id: id ?? "", title: title ?? "", specVersion: specVersion, extends: extends)
        if let extends { diagnostics.attempt { () throws(LoadError) in _ = try extends.nonEmptyString() } }
        document.requirements = readRequirements(mapping, overlay: extends != nil, into: &diagnostics)
        for name in ["waivers", "levels", "justify"] where extends == nil {
            if let reader = mapping.optional(name) {
                diagnostics.record(reader.error("\(name) change requirements of a base profile; add extends: <base> first"))
            }
        }
        if extends != nil {
            document.waivers = OverlayReader.waivers(mapping.optional("waivers"), into: &diagnostics)
            document.levels = OverlayReader.levels(mapping.optional("levels"), into: &diagnostics)
            document.justifications = OverlayReader.justifications(mapping.optional("justify"), into: &diagnostics)
        }
        return id == nil || title == nil ? nil : document
    }

    static func checkSchema(_ mapping: YAMLMapping) throws(LoadError) {
        let reader = try mapping.required("schema")
        let schema = try reader.int()
        guard schema == Profile.currentSchemaVersion else {
            throw reader.error("unsupported schema \(schema); this avps reads schema \(Profile.currentSchemaVersion)")
        }
    }

    /// Each requirement is read on its own, so one bad entry does not hide the others.
    static func readRequirements(_ mapping: YAMLMapping, overlay: Bool,
                                 into diagnostics: inout Diagnostics) -> [(Requirement, YAMLNodeReader)] {
        let items: [YAMLNodeReader]? = diagnostics.attempt { () throws(LoadError) in
            if overlay, mapping.optional("requirements") == nil { return [] }
            return try mapping.required("requirements").sequence()
        }
        var result: [(Requirement, YAMLNodeReader)] = []
        var firstLineOfKey: [String: Int] = [:]
        for item in items ?? [] {
            guard let (requirement, keyReader) = diagnostics.attempt({ () throws(LoadError) in
                try RequirementReader.read(item)
            }) else { continue }
            if let firstLine = firstLineOfKey[requirement.key] {
                diagnostics.record(keyReader.error("duplicate requirement key \"\(requirement.key)\" "
                                                   + "(line \(keyReader.line); first defined at line \(firstLine))"))
                continue
            }
            firstLineOfKey[requirement.key] = keyReader.line
            result.append((requirement, keyReader))
        }
        return result
    }
}
