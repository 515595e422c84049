import AVPSModel
import Yams

/// A YAML node together with the file it came from and its field path, so that whatever goes
/// wrong while reading it becomes a `LoadError` naming file, line and field.
///
/// Shared by every loader of this module (profiles, suites): read a value with `string()`,
/// `int()`, `enumValue(_:)`, `sequence()` or `mapping(allowedKeys:)`; each throws a precise
/// error on the wrong type instead of returning nil.
public struct YAMLNodeReader {
    public let node: Node
    public let file: String
    /// Field path from the root; empty for the root itself.
    public let path: String

    public init(node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    /// 1-based line of the node (0 if Yams gave no position).
    public var line: Int { node.mark?.line ?? 0 }

    /// 1-based column of the node (nil if Yams gave no position).
    public var column: Int? { node.mark?.column }

    /// True for an explicit or implicit YAML null (`key:`, `key: ~`, `key: null`).
    public var isNull: Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain, node.null != nil { return true }
        return false
    }

    /// An error located at this node.
    public func error(_ message: String) -> LoadError {
        LoadError(file: file, line: line, column: column, field: path, message: message)
    }

    /// A reader for a child node; `component` is a key (`title`) or an index (`[3]`).
    public func child(_ component: String, node: Node) -> YAMLNodeReader {
        let joined = path.isEmpty || component.hasPrefix("[") ? path + component : path + "." + component
        return YAMLNodeReader(node: node, file: file, path: joined)
    }

    /// The scalar's text. Numbers and booleans are accepted as their text, so `spec_version: 2.0`
    /// reads as "2.0"; mappings, sequences and null are type errors.
    public func string() throws(LoadError) -> String {
        guard case .scalar(let scalar) = node, !isNull else {
            throw error("expected a string, found \(kind)")
        }
        return scalar.string
    }

    /// A non-empty string (surrounding whitespace does not count as content).
    public func nonEmptyString() throws(LoadError) -> String {
        let value = try string()
        guard value.contains(where: { !$0.isWhitespace }) else { throw error("must not be empty") }
        return value
    }

    public func int() throws(LoadError) -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.int else {
            throw error("expected an integer, found \(kind)")
        }
        return value
    }

    public func bool() throws(LoadError) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.bool else {
            throw error("expected true or false, found \(kind)")
        }
        return value
    }

    /// A string that must be one of the enum's raw values; the error lists them all.
    public func enumValue<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(LoadError) -> E
    where E.RawValue == String {
        let text = try string()
        if let value = E(rawValue: text) { return value }
        let allowed = E.allCases.map(\.rawValue)
        throw error("\"\(text)\" is not one of \(allowed.joined(separator: ", "))"
                    + Self.suggestion(for: text, among: allowed))
    }

    /// The elements of a sequence, each with its indexed path (`requirements[0]`, ...).
    public func sequence() throws(LoadError) -> [YAMLNodeReader] {
        guard case .sequence(let sequence) = node else {
            throw error("expected a sequence, found \(kind)")
        }
        return sequence.enumerated().map { index, element in child("[\(index)]", node: element) }
    }

    /// The entries of a mapping. Every key must be a string and, when `allowedKeys` is given,
    /// one of them: an unknown key is almost always a typo of a known one.
    public func mapping(allowedKeys: [String]? = nil) throws(LoadError) -> YAMLMapping {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping, found \(kind)")
        }
        var entries: [YAMLMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw LoadError(file: file, line: keyNode.mark?.line ?? line, column: keyNode.mark?.column,
                                field: path, message: "mapping keys must be strings")
            }
            let key = keyScalar.string
            let entry = YAMLMapping.Entry(key: key, keyLine: keyNode.mark?.line ?? line,
                                          keyColumn: keyNode.mark?.column, value: child(key, node: valueNode))
            if let allowedKeys, !allowedKeys.contains(key) {
                throw LoadError(file: file, line: entry.keyLine, column: entry.keyColumn, field: entry.value.path,
                                message: "unknown field \"\(key)\"" + Self.suggestion(for: key, among: allowedKeys)
                                    + " (allowed: \(allowedKeys.joined(separator: ", ")))")
            }
            entries.append(entry)
        }
        return YAMLMapping(reader: self, entries: entries)
    }

    /// What the node is, for "expected X, found Y" messages.
    public var kind: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .alias: return "an alias"
        case .scalar(let scalar): return isNull ? "null" : "\"\(scalar.string)\""
        }
    }

    /// `; did you mean "X"?` when a close candidate exists, else empty.
    public static func suggestion(for text: String, among candidates: [String]) -> String {
        guard let best = VirtioCatalogue.nearest(to: text, among: candidates, limit: 1).first else { return "" }
        return "; did you mean \"\(best)\"?"
    }
}
