import Foundation
import Testing
@testable import Reports

@Suite struct SanitizingTests {
    /// Every scalar of the BMP control and special ranges, checked against the XML 1.0 `Char` rule.
    @Test func xmlLegalReplacesExactlyTheForbiddenScalars() {
        let probes: [UInt32] = Array(0...0x3F) + Array(0x7F...0xA0) + [0xD7FF, 0xE000, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF,
                                                                      0x10000, 0x1F697, 0x10FFFF]
        for value in probes {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let forbidden = value < 0x20 && ![0x9, 0xA, 0xD].contains(value) || value == 0xFFFE || value == 0xFFFF
            let output = TextSanitizing.xmlLegal("a\(Character(scalar))b")
            #expect(output == (forbidden ? "a\u{FFFD}b" : "a\(Character(scalar))b"), "U+\(String(value, radix: 16))")
        }
    }

    @Test func xmlLegalLeavesMarkupCharactersToTheSerializer() {
        #expect(TextSanitizing.xmlLegal("<&>\"' ]]>") == "<&>\"' ]]>")
    }

    @Test(arguments: [
        ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"), ("'", "&#39;"),
        ("&amp;", "&amp;amp;"), ("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        ("a\u{0}b\u{1b}c", "a\u{FFFD}b\u{FFFD}c"), ("tab\tnl\ncr\r", "tab\tnl\ncr\r"),
        ("Grüße 車 🚗", "Grüße 車 🚗"), ("]]>", "]]&gt;"), ("", ""),
    ])
    func htmlEscape(input: String, expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    /// Escaped output never contains a raw markup character, whatever the input.
    @Test func htmlEscapeOutputHasNoRawMarkup() {
        var all = ""
        for value in UInt32(0)...0x7F { if let scalar = Unicode.Scalar(value) { all.unicodeScalars.append(scalar) } }
        let escaped = HTML.escape(all + Fixtures.hostile)
        #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\"") && !escaped.contains("'"))
        let withoutEntities = escaped.replacingOccurrences(of: "&amp;", with: "").replacingOccurrences(of: "&lt;", with: "")
            .replacingOccurrences(of: "&gt;", with: "").replacingOccurrences(of: "&quot;", with: "")
            .replacingOccurrences(of: "&#39;", with: "")
        #expect(!withoutEntities.contains("&"))
    }

    @Test func interpolationEscapesStringsButNotMarkup() {
        let name = "<b>"
        let inner: HTML = "<i>\(name)</i>"
        let outer: HTML = "<p>\(inner) \(name) \(3)</p>"
        #expect(outer.markup == "<p><i>&lt;b&gt;</i> &lt;b&gt; 3</p>")
    }

    @Test func terminalLineHasNoControls() {
        #expect(TextSanitizing.terminalLine("a\u{1b}[31mb\nc\td\u{9b}e\u{7f}") == "a\u{FFFD}[31mb c d\u{FFFD}e\u{FFFD}")
    }

    @Test(arguments: [(["qemu", "-m", "512"], "qemu -m 512"), (["a b"], "'a b'"), (["it's"], "'it'\\''s'"),
                      ([""], "''"), (["$HOME;rm"], "'$HOME;rm'")])
    func shellQuoting(arguments: [String], expected: String) {
        #expect(CommandLineText.shellQuoted(arguments) == expected)
    }
}

@Suite struct ExternalToolsTests {
    /// The "missing tool" path the validator tests rely on really reports exit 127.
    @Test func missingToolIsDetected() throws {
        let output = try ExternalTools.run("avps-no-such-tool-\(UInt32.random(in: 0...UInt32.max))", [])
        #expect(output.status == 127)
    }

    @Test func referenceFilesExist() {
        #expect(FileManager.default.fileExists(atPath: ExternalTools.resultsSchema.path))
        #expect(FileManager.default.fileExists(atPath: ExternalTools.junitXSD.path), "\(ExternalTools.junitXSD.path)")
    }
}
