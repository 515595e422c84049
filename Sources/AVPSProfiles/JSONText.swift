/// A JSON value with ordered object keys, for documents people read (the published profile
/// schema): `JSONSerialization` would sort or scramble the keys.
indirect enum JSONText {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONText])
    case object([(String, JSONText)])

    /// Pretty-printed with two-space indentation; short arrays of scalars stay on one line.
    func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent), inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .string(let value): return Self.quoted(value)
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .array(let values):
            if values.isEmpty { return "[]" }
            let flat = values.map { $0.rendered() }
            if values.allSatisfy(\.isScalar), flat.joined(separator: ", ").count <= 80 {
                return "[" + flat.joined(separator: ", ") + "]"
            }
            return "[\n" + values.map { inner + $0.rendered(indent: indent + 2) }.joined(separator: ",\n") + "\n\(pad)]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let lines = members.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(indent: indent + 2) }
            return "{\n" + lines.joined(separator: ",\n") + "\n\(pad)}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .string, .int, .bool: true
        case .array, .object: false
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
