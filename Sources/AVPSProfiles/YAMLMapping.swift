/// The entries of one YAML mapping, in file order, with accessors that turn a missing or
/// mistyped field into a `LoadError` at the right line.
public struct YAMLMapping {
    public struct Entry {
        public let key: String
        /// Line of the key itself (the value may start on a later line).
        public let keyLine: Int
        /// 1-based column of the key, when known.
        public let keyColumn: Int?
        public let value: YAMLNodeReader

        public init(key: String, keyLine: Int, keyColumn: Int? = nil, value: YAMLNodeReader) {
            self.key = key
            self.keyLine = keyLine
            self.keyColumn = keyColumn
            self.value = value
        }
    }

    /// The mapping node; missing-field errors point at its line.
    public let reader: YAMLNodeReader
    public let entries: [Entry]

    public var keys: [String] { entries.map(\.key) }

    /// The value for `key`, nil when the key is absent or its value is null.
    public func optional(_ key: String) -> YAMLNodeReader? {
        guard let value = entries.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    /// The value for `key`; absent or null is a "missing required field" error.
    public func required(_ key: String) throws(LoadError) -> YAMLNodeReader {
        if let value = optional(key) { return value }
        let path = reader.path.isEmpty ? key : reader.path + "." + key
        let entry = entries.first(where: { $0.key == key })
        throw LoadError(file: reader.file, line: entry?.keyLine ?? reader.line,
                        column: entry.map(\.keyColumn) ?? reader.column, field: path, message: "missing required field")
    }

    public func requiredString(_ key: String) throws(LoadError) -> String {
        try required(key).nonEmptyString()
    }

    public func optionalString(_ key: String) throws(LoadError) -> String? {
        guard let value = optional(key) else { return nil }
        return try value.nonEmptyString()
    }

    public func requiredInt(_ key: String) throws(LoadError) -> Int {
        try required(key).int()
    }

    public func optionalInt(_ key: String) throws(LoadError) -> Int? {
        guard let value = optional(key) else { return nil }
        return try value.int()
    }

    public func requiredEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(LoadError) -> E
    where E.RawValue == String {
        try required(key).enumValue(type)
    }

    public func optionalEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(LoadError) -> E?
    where E.RawValue == String {
        guard let value = optional(key) else { return nil }
        return try value.enumValue(type)
    }

    /// Requires exactly one of `keys` to be present (for tagged unions such as `check`) and
    /// returns it with its value.
    public func exactlyOne(of keys: [String]) throws(LoadError) -> (key: String, value: YAMLNodeReader) {
        let present = entries.filter { keys.contains($0.key) }
        guard present.count == 1, let only = present.first else {
            let found = present.isEmpty ? "none" : present.map(\.key).joined(separator: " and ")
            throw reader.error("expected exactly one of \(keys.joined(separator: ", ")); found \(found)")
        }
        return (only.key, only.value)
    }
}
