import AVPSModel
import Foundation

/// A vendor attestation file, read with the same file:line:field errors as profiles.
///
/// ```yaml
/// schema: 1
/// vendor: Acme Hypervisors
/// attestations:
///   - key: AVPS2-EMU-01                 # a requirement of the run's profile
///     targets: [acme-board-1]           # target names of the suite
///     statement: The emulated UART passes our hardware test suite on silicon rev B.
///     evidence: https://acme.example/qa/report-1234.pdf
///     owner: qa@acme.example
///     date: 2026-11-30                  # when it was stated (not in the future)
///     expires: 2027-05-31               # last day it counts
/// ```
///
/// The file is signed as bytes (`avps attest sign`), so this reader only checks structure;
/// `AttestationFile.check` checks the keys against the run's profiles and targets.
public struct AttestationFile: Sendable, Equatable {
    public static let currentSchemaVersion = 1
    static let keys = ["schema", "vendor", "attestations"]
    static let entryKeys = ["key", "targets", "statement", "evidence", "owner", "date", "expires"]

    /// Where an entry's field is, so later checks can name file, line and field.
    public struct Location: Sendable, Equatable {
        public var line: Int
        public var column: Int?
        public var field: String
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var targets: [String]
        public var statement: String
        public var evidence: String
        public var owner: String
        public var date: CalendarDay
        public var expires: CalendarDay
        public var keyLocation: Location
        /// One location per target name, in order.
        public var targetLocations: [Location]
        public var expiresLocation: Location
        public var dateLocation: Location
    }

    /// The path as the caller gave it, for messages.
    public var file: String
    public var vendor: String
    public var entries: [Entry]

    /// Reads a file; the first problem is thrown.
    public static func load(contentsOf url: URL) throws(LoadError) -> AttestationFile {
        try read(YAMLDocument.root(contentsOf: url))
    }

    public static func load(yaml: String, file: String) throws(LoadError) -> AttestationFile {
        try read(YAMLDocument.root(yaml: yaml, file: file))
    }

    static func read(_ root: YAMLNodeReader) throws(LoadError) -> AttestationFile {
        var diagnostics = Diagnostics()
        let result = read(root, into: &diagnostics)
        if let first = diagnostics.errors.first { throw first }
        guard let result else { throw root.error("not an attestation file") }
        return result
    }

    /// Every problem of a file at once (`avps attest verify` lists them all).
    public static func lint(contentsOf url: URL) -> (file: AttestationFile?, errors: [LoadError]) {
        var diagnostics = Diagnostics()
        guard let root = diagnostics.attempt({ () throws(LoadError) in try YAMLDocument.root(contentsOf: url) }) else {
            return (nil, diagnostics.errors)
        }
        let file = read(root, into: &diagnostics)
        return (diagnostics.isEmpty ? file : nil, diagnostics.errors)
    }

    private static func read(_ root: YAMLNodeReader, into diagnostics: inout Diagnostics) -> AttestationFile? {
        guard let mapping = diagnostics.attempt({ () throws(LoadError) in try root.mapping(allowedKeys: keys) }) else { return nil }
        diagnostics.attempt { () throws(LoadError) in
            let schema = try mapping.required("schema")
            guard try schema.int() == currentSchemaVersion else {
                throw schema.error("unsupported attestation schema (this avps reads schema \(currentSchemaVersion))")
            }
        }
        let vendor = diagnostics.attempt { () throws(LoadError) in try mapping.requiredString("vendor") }
        let items: [YAMLNodeReader] = diagnostics.attempt { () throws(LoadError) -> [YAMLNodeReader] in
            let list = try mapping.required("attestations")
            let items = try list.sequence()
            guard !items.isEmpty else { throw list.error("an attestation file needs at least one attestation") }
            return items
        } ?? []
        var entries: [Entry] = []
        for item in items {
            guard let entry = diagnostics.attempt({ () throws(LoadError) in try self.entry(item) }) else { continue }
            if let earlier = entries.first(where: { $0.key == entry.key && !Set($0.targets).isDisjoint(with: entry.targets) }) {
                let shared = entry.targets.filter(earlier.targets.contains).joined(separator: ", ")
                diagnostics.record(error(at: entry.keyLocation, file: root.file,
                                         "second attestation of \(entry.key) for \(shared) (first at line \(earlier.keyLocation.line)); keep one"))
                continue
            }
            entries.append(entry)
        }
        guard let vendor else { return nil }
        return AttestationFile(file: root.file, vendor: vendor, entries: entries)
    }

    private static func entry(_ item: YAMLNodeReader) throws(LoadError) -> Entry {
        let mapping = try item.mapping(allowedKeys: entryKeys)
        let keyReader = try mapping.required("key")
        let targetsReader = try mapping.required("targets")
        let targetReaders = try targetsReader.sequence()
        guard !targetReaders.isEmpty else { throw targetsReader.error("name at least one target of the suite") }
        let dateReader = try mapping.required("date"), expiresReader = try mapping.required("expires")
        let date = try day(dateReader), expires = try day(expiresReader)
        guard date <= expires else { throw expiresReader.error("expires (\(expires)) is before date (\(date))") }
        return Entry(key: try keyReader.nonEmptyString(),
                     targets: try targetReaders.map { reader throws(LoadError) in try reader.nonEmptyString() },
                     statement: try oneLine(mapping.required("statement")),
                     evidence: try oneLine(mapping.required("evidence")),
                     owner: try mapping.requiredString("owner"), date: date, expires: expires,
                     keyLocation: location(keyReader), targetLocations: targetReaders.map(location),
                     expiresLocation: location(expiresReader), dateLocation: location(dateReader))
    }

    /// Statements and evidence references go into one report line each.
    private static func oneLine(_ reader: YAMLNodeReader) throws(LoadError) -> String {
        let text = try reader.nonEmptyString().trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.contains(where: \.isNewline) else { throw reader.error("must be one line") }
        return text
    }

    private static func day(_ reader: YAMLNodeReader) throws(LoadError) -> CalendarDay {
        let text = try reader.nonEmptyString()
        guard let day = CalendarDay(text) else { throw reader.error("must be a date written YYYY-MM-DD (found \"\(text)\")") }
        return day
    }

    private static func location(_ reader: YAMLNodeReader) -> Location {
        Location(line: reader.line, column: reader.column, field: reader.path)
    }

    static func error(at location: Location, file: String, _ message: String) -> LoadError {
        LoadError(file: file, line: location.line, column: location.column, field: location.field, message: message)
    }
}
