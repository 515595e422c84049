/// HTML escaping, and a markup type that makes forgetting it hard.
///
/// Every report string that came from a guest or a profile is untrusted. Rather than remembering
/// to call an escape function at each of dozens of interpolation sites, page fragments are built
/// as `HTML` values: interpolating a `String` escapes it, interpolating another `HTML` inserts it
/// as markup. Only string literals written in this module are ever trusted.
struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// Markup, already safe to emit.
    private(set) var markup: String

    init(stringLiteral value: String) { markup = value }

    init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    /// Trusted markup produced by this module (for example the CSS block).
    init(trusted markup: String) { self.markup = markup }

    var description: String { markup }

    /// Joins fragments, for lists of rows.
    static func joined<S: Sequence>(_ parts: S, separator: HTML = "") -> HTML where S.Element == HTML {
        HTML(trusted: parts.map(\.markup).joined(separator: separator.markup))
    }

    /// The one escaping function for HTML text and attribute values.
    ///
    /// Escapes all five of `&<>"'` so the same output is safe in element content and in single- or
    /// double-quoted attributes. Characters HTML forbids in documents (NUL, C0 controls other than
    /// tab/LF/CR, noncharacters U+FFFE/U+FFFF) become U+FFFD rather than vanishing silently.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in TextSanitizing.xmlLegal(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity * 2)
        }

        mutating func appendLiteral(_ literal: String) { markup += literal }

        /// Untrusted text: always escaped.
        mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        /// Optional untrusted text: escaped, or the given placeholder when nil.
        mutating func appendInterpolation(_ text: String?, default placeholder: String) {
            markup += HTML.escape(text ?? placeholder)
        }

        /// Already-built markup.
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        mutating func appendInterpolation(_ number: Int) { markup += String(number) }
    }
}
