/// The one error type of the loading layer (profiles, suites): where the problem is and what it is.
///
/// Every error names a file, a line and a field path because the person reading it is editing a
/// YAML file by hand and needs to jump straight to the mistake. Formats as
/// `file:line: field: message` (with `:column` after the line when known), the shape editors
/// and CI log viewers turn into links.
public struct LoadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path as the caller gave it (relative paths stay relative).
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file (unreadable, empty).
    public var line: Int
    /// 1-based column, set where the position within the line matters (YAML syntax errors).
    public var column: Int?
    /// Field path from the document root, e.g. `requirements[3].check.feature_negotiated.feature`
    /// (sequence indices are 0-based); empty when the error is not about one field.
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = file
        if line > 0 { location += ":\(line)" }
        if line > 0, let column { location += ":\(column)" }
        return field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}
