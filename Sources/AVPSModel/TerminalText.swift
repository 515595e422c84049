/// One line of untrusted text (target names, guest output, profile text) made safe to print on a
/// terminal: no ESC sequences (a guest must not recolour or clear the operator's screen), no C1
/// controls, no line breaks that would forge extra lines or break a redrawn frame's line count.
/// Tabs and line breaks become spaces; other controls, U+2028/U+2029 and the bidirectional
/// formatting characters (U+061C, U+200E/F, U+202A-E, U+2066-9: a U+202E makes `exe.png` read
/// as `gnp.exe`) become U+FFFD. One rule,
/// shared by the reports and the live progress display.
public enum TerminalText {
    public static let replacement: Unicode.Scalar = "\u{FFFD}"

    public static func line(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x9, 0xA, 0xD: scalars.append(" ")
            case 0x0...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                scalars.append(replacement)
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}
