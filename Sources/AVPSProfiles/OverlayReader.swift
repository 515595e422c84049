import AVPSModel

/// Reads an overlay's `waivers:`, `levels:` and `justify:` sequences.
enum OverlayReader {
    static func waivers(_ reader: YAMLNodeReader?, into diagnostics: inout Diagnostics) -> [ProfileDocument.WaiverEntry] {
        entries(reader, into: &diagnostics) { item throws(LoadError) in
            let mapping = try item.mapping(allowedKeys: ["key", "reason", "owner", "expires"])
            let keyReader = try mapping.required("key")
            let expiresReader = try mapping.required("expires")
            let text = try expiresReader.nonEmptyString()
            guard let expires = CalendarDay(text) else {
                throw expiresReader.error("expires must be a date written YYYY-MM-DD (found \"\(text)\")")
            }
            return ProfileDocument.WaiverEntry(
                key: try keyReader.nonEmptyString(), keyReader: keyReader,
                reason: try RequirementReader.oneLine(mapping.required("reason")),
                owner: try mapping.requiredString("owner"), expires: expires)
        }
    }

    static func levels(_ reader: YAMLNodeReader?, into diagnostics: inout Diagnostics) -> [ProfileDocument.LevelEntry] {
        entries(reader, into: &diagnostics) { item throws(LoadError) in
            let mapping = try item.mapping(allowedKeys: ["key", "level", "reason"])
            let keyReader = try mapping.required("key")
            return ProfileDocument.LevelEntry(
                key: try keyReader.nonEmptyString(), keyReader: keyReader,
                level: try mapping.requiredEnum("level", RequirementLevel.self),
                reason: try RequirementReader.oneLine(mapping.required("reason")))
        }
    }

    static func justifications(_ reader: YAMLNodeReader?, into diagnostics: inout Diagnostics) -> [ProfileDocument.JustifyEntry] {
        entries(reader, into: &diagnostics) { item throws(LoadError) in
            let mapping = try item.mapping(allowedKeys: ["key", "owner", "reason"])
            let keyReader = try mapping.required("key")
            return ProfileDocument.JustifyEntry(
                key: try keyReader.nonEmptyString(), keyReader: keyReader, owner: try mapping.requiredString("owner"),
                reason: try RequirementReader.oneLine(mapping.required("reason")))
        }
    }

    /// Reads each element on its own and rejects a second entry for the same key.
    private static func entries<Entry>(_ reader: YAMLNodeReader?, into diagnostics: inout Diagnostics,
                                       _ read: (YAMLNodeReader) throws(LoadError) -> Entry) -> [Entry]
    where Entry: KeyedOverlayEntry {
        guard let reader else { return [] }
        let items = diagnostics.attempt { () throws(LoadError) in try reader.sequence() } ?? []
        var result: [Entry] = []
        var firstLine: [String: Int] = [:]
        for item in items {
            guard let entry = diagnostics.attempt({ () throws(LoadError) in try read(item) }) else { continue }
            if let line = firstLine[entry.key] {
                diagnostics.record(entry.keyReader.error("second entry for \"\(entry.key)\" (first at line \(line)); keep one"))
                continue
            }
            firstLine[entry.key] = entry.keyReader.line
            result.append(entry)
        }
        return result
    }
}

/// Overlay entries name the requirement they change.
protocol KeyedOverlayEntry {
    var key: String { get }
    var keyReader: YAMLNodeReader { get }
}

extension ProfileDocument.WaiverEntry: KeyedOverlayEntry {}
extension ProfileDocument.LevelEntry: KeyedOverlayEntry {}
extension ProfileDocument.JustifyEntry: KeyedOverlayEntry {}
