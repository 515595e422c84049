import AVPSModel

/// Cleaning of untrusted text (guest output, profile text) before it reaches a markup or a terminal.
///
/// Guest-provided strings can contain anything a serial console or a hostile agent emits. Each
/// output format has different rules, so each rule lives here once and is tested exhaustively,
/// rather than being re-invented next to every place that writes a string.
enum TextSanitizing {
    /// What replaces a character an output format cannot carry: visible, so a reader knows
    /// something was there, and never itself a control character.
    static let replacement: Character = "\u{FFFD}"

    /// True when XML 1.0 allows the scalar in a document at all (§2.2 `Char`):
    /// `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`.
    /// Swift strings never hold surrogates, so only C0 controls and U+FFFE/U+FFFF are excluded.
    static func isXMLChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// Replaces every scalar XML 1.0 forbids (NUL, ESC, other C0 controls, U+FFFE, U+FFFF) with
    /// U+FFFD. Escaping of `<&>"'` is left to the XML serializer; this only makes the text legal.
    static func xmlLegal(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy(isXMLChar) { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isXMLChar(scalar) {
                scalars.append(scalar)
            } else {
                scalars.append(contentsOf: String(replacement).unicodeScalars)
            }
        }
        return String(scalars)
    }

    /// One line safe to print on a terminal (see `TerminalText.line`).
    static func terminalLine(_ text: String) -> String {
        TerminalText.line(text)
    }
}
