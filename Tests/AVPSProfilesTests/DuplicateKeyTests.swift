@testable import AVPSProfiles
import Testing

/// A duplicate YAML key is reported where the repeat is (what a person deletes), not at the
/// mapping's first key or at 1:1.
@Suite struct DuplicateKeyTests {
    func error(_ yaml: String) throws -> LoadError {
        try #require(throws: LoadError.self) { _ = try YAMLDocument.root(yaml: yaml, file: "f.yaml") }
    }

    @Test func topLevelRepeatIsReportedAtItsLine() throws {
        let found = try error("schema: 1\nname: s\n\n# a comment\nprofiles: []\nname: t\n")
        #expect((found.line, found.column) == (6, 1))
        #expect(found.message == #"duplicate key "name" in one mapping (first at line 2)"#)
        #expect(found.field == "name")
    }

    @Test func nestedBlockMappingInsideASequence() throws {
        let found = try error("items:\n  - key: A\n    title: t\n    other:\n      title: fine\n    title: again\n  - key: B\n")
        #expect((found.line, found.column) == (6, 5))
    }

    @Test func flowMappingOnOneLine() throws {
        let found = try error("items:\n  - { key: A, title: t, chapter: c, title: x }\n")
        #expect((found.line, found.column) == (2, 37))
        #expect(found.message.hasSuffix("(first at line 2)"))
    }

    @Test func quotedRepeat() throws {
        let found = try error("a: 1\nb: 2\n\"a\": 3\n")
        #expect((found.line, found.column) == (3, 1))
    }
}
