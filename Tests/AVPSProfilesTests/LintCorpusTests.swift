import AVPSProfiles
import Foundation
import Testing

/// The malformed-profile corpus (`Fixtures/lint`): each file breaks one rule and must fail with
/// the exact line and column, the field, and a message that says how to fix it. Files starting
/// with `_` are valid helpers (the base of the overlay fixtures).
@Suite struct LintCorpusTests {
    struct Expectation: CustomTestStringConvertible, Sendable {
        var fixture: String
        var line: Int
        var column: Int
        /// `field: message` fragment the error must contain.
        var text: String
        var testDescription: String { fixture }
    }

    static let expectations: [Expectation] = [
        .init(fixture: "unknown-top-key", line: 3, column: 1, text: #"titel: unknown field "titel"; did you mean "title"?"#),
        .init(fixture: "unknown-requirement-key", line: 12, column: 5, text: #"requirements[0].rationle: unknown field "rationle"; did you mean "rationale"?"#),
        .init(fixture: "yaml-duplicate-key", line: 12, column: 5, text: #"chapter: duplicate key "chapter" in one mapping (first at line 8)"#),
        .init(fixture: "duplicate-requirement-key", line: 22, column: 10, text: #"requirements[2].key: duplicate requirement key "FIX-01" (line 22; first defined at line 6)"#),
        .init(fixture: "unknown-device", line: 11, column: 30, text: #"unknown device "blok"; did you mean "block"?"#),
        .init(fixture: "unknown-feature", line: 11, column: 60, text: #"unknown feature "FLUSHH" for device block; did you mean "FLUSH"?"#),
        .init(fixture: "feature-of-another-device", line: 11, column: 57, text: "(it is a feature of net)"),
        .init(fixture: "bad-level", line: 10, column: 12, text: #"requirements[0].level: "MUSTT" is not one of MUST, SHOULD, MAY; did you mean "MUST"?"#),
        .init(fixture: "bad-confidence", line: 12, column: 17, text: #""verified" is not one of text-verified, derived"#),
        .init(fixture: "unknown-check-kind", line: 11, column: 14, text: #"did you mean "feature_negotiated"?"#),
        .init(fixture: "two-check-kinds", line: 11, column: 12, text: "found device_present and driver_ready"),
        .init(fixture: "unknown-config-field", line: 11, column: 46, text: #"unknown config field "capcity" for device block; did you mean "capacity"?"#),
        .init(fixture: "config-field-on-any", line: 11, column: 44, text: "name a device instead of any"),
        .init(fixture: "ordering-op-with-text", line: 11, column: 73, text: #"op le compares numbers; "fast" is not a number"#),
        .init(fixture: "present-with-value", line: 11, column: 78, text: "op present takes no value; remove it"),
        .init(fixture: "unknown-operator", line: 11, column: 66, text: #""gte" is not one of eq, ne, ge, le, gt, lt, present; did you mean "ge"?"#),
        .init(fixture: "bad-probe-name", line: 11, column: 29, text: #""Block.Integrity" is not a valid probe name"#),
        .init(fixture: "missing-rationale", line: 6, column: 5, text: "requirements[0].rationale: missing required field"),
        .init(fixture: "multi-line-rationale", line: 13, column: 16, text: "a rationale is one line in your own words"),
        .init(fixture: "bad-normative-label", line: 12, column: 23, text: "starts with devicenormative: or drivernormative:"),
        .init(fixture: "unsupported-schema", line: 1, column: 9, text: "unsupported schema 2; this avps reads schema 1"),
        .init(fixture: "yaml-syntax-error", line: 15, column: 1, text: "YAML syntax error: did not find expected ','"),
        .init(fixture: "extends-missing-base", line: 4, column: 10, text: #"cannot find base profile "no-such-profile""#),
        .init(fixture: "extends-itself", line: 4, column: 10, text: "extends cycle: extends-itself.yaml -> extends-itself.yaml"),
        .init(fixture: "extends-cycle", line: 4, column: 10,
              text: "extends cycle: extends-cycle.yaml -> _cycle-partner.yaml -> extends-cycle.yaml"),
        .init(fixture: "waiver-unknown-key", line: 6, column: 10, text: #"no requirement "BASE-2" in lint-base or this overlay; did you mean "BASE-01"?"#),
        .init(fixture: "waiver-impossible-date", line: 9, column: 14, text: #"expires must be a date written YYYY-MM-DD (found "2026-02-30")"#),
        .init(fixture: "waiver-without-extends", line: 15, column: 3, text: "add extends: <base> first"),
        .init(fixture: "level-unchanged", line: 6, column: 10, text: "BASE-01 is already MUST; remove this entry"),
        .init(fixture: "overlay-redefines-base-key", line: 6, column: 10, text: "change it with levels: or waivers: instead"),
    ]

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Fixtures/lint"))
    }

    @Test(arguments: expectations)
    func failsAtTheRightPlace(_ expected: Expectation) throws {
        let url = try Self.url(expected.fixture)
        let (profile, errors) = ProfileLoader.diagnose(contentsOf: url)
        #expect(profile == nil)
        let first = try #require(errors.first, "\(expected.fixture) loaded without error")
        #expect(first.line == expected.line, "\(first)")
        #expect(first.column == expected.column, "\(first)")
        #expect(first.description.hasPrefix("\(url.relativePath):\(expected.line):\(expected.column): "), "\(first)")
        #expect(first.description.contains(expected.text), "\(first)")
        #expect(throws: LoadError.self) { try ProfileLoader.load(contentsOf: url) }
    }

    /// The corpus is what the table says: no fixture without an expectation, at least 15 cases.
    @Test func everyFixtureHasAnExpectation() throws {
        let directory = try Self.url("_base").deletingLastPathComponent()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("_") }
            .map { String($0.dropLast(5)) }
        #expect(Set(names) == Set(Self.expectations.map(\.fixture)))
        #expect(names.count >= 15)
    }

    @Test func theOverlayBaseItselfIsValid() throws {
        let (profile, errors) = ProfileLoader.diagnose(contentsOf: try Self.url("_base"))
        #expect(errors.isEmpty, "\(errors)")
        #expect(profile?.id == "lint-base")
    }

    /// Lint keeps going after the first problem of a file, so one run shows them all.
    @Test func allProblemsOfAFileAreReported() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-lint-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        let text = """
            schema: 1
            id: many
            title: Several problems
            spec_version: "2.0"
            requirements:
              - { key: A-01, title: t, chapter: c, category: g, level: MUST, confidence: derived, rationale: r }
              - { key: A-02, title: t, chapter: c, category: g, level: MUSTT, confidence: derived, rationale: r }
              - { key: A-03, title: t, chapter: c, category: g, level: MUST, confidence: derived, rationale: r, check: { device_present: blok } }
              - { key: A-01, title: t, chapter: c, category: g, level: MAY, confidence: derived, rationale: r }
            """
        try text.write(to: url, atomically: true, encoding: .utf8)
        let errors = ProfileLoader.diagnose(contentsOf: url).errors
        #expect(errors.map(\.line) == [7, 8, 9])
        #expect(errors.map(\.field) == ["requirements[1].level", "requirements[2].check.device_present", "requirements[3].key"])
    }
}
