/// In-page anchor ids of report.html, shared with the matrix so its cells link to the exact row.
///
/// Requirement keys come from profiles and may hold any character; ids keep ASCII letters,
/// digits, `-` and `.` and write every other UTF-8 byte as `_XX`, so distinct keys get distinct
/// ids and an id never needs escaping in a URL fragment.
public enum Anchors {
    public static func target(_ index: Int) -> String { "target-\(index)" }

    public static func requirement(target index: Int, key: String) -> String {
        "t\(index)-" + encode(key)
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "_" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
