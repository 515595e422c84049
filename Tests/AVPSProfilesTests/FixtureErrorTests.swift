import AVPSProfiles
import Foundation
import Testing

/// Each malformed fixture must fail with the exact file, line and field a person needs to fix it.
@Suite struct FixtureErrorTests {
    func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Fixtures"))
    }

    func loadError(_ name: String) throws -> (URL, LoadError) {
        let url = try fixture(name)
        let error = try #require(throws: LoadError.self) { try ProfileLoader.load(contentsOf: url) }
        #expect(error.file == url.relativePath)
        return (url, error)
    }

    @Test func badLevelNamesTheFieldAndSuggests() throws {
        let (url, error) = try loadError("bad-level")
        #expect(error.line == 10)
        #expect(error.field == "requirements[0].level")
        #expect(error.message == #""MUSTT" is not one of MUST, SHOULD, MAY; did you mean "MUST"?"#)
        #expect(error.description.hasPrefix("\(url.relativePath):10:12: requirements[0].level: "))
    }

    @Test func unknownKeyIsATypoError() throws {
        let (_, error) = try loadError("unknown-key")
        #expect(error.line == 15)
        #expect(error.field == "requirements[0].rationle")
        #expect(error.message.hasPrefix(#"unknown field "rationle"; did you mean "rationale"?"#))
    }

    @Test func unknownFeatureSuggestsTheNearestName() throws {
        let (url, error) = try loadError("unknown-feature")
        #expect(error.line == 23)
        #expect(error.field == "requirements[1].check.feature_negotiated.feature")
        #expect(error.message == #"unknown feature "VERSON_1" for device block; did you mean "VERSION_1"?"#)
        #expect(error.description == "\(url.relativePath):23:18: requirements[1].check.feature_negotiated.feature: "
                + #"unknown feature "VERSON_1" for device block; did you mean "VERSION_1"?"#)
    }

    @Test func duplicateRequirementKeyNamesBothLines() throws {
        let (_, error) = try loadError("duplicate-key")
        #expect(error.line == 22)
        #expect(error.field == "requirements[2].key")
        #expect(error.message == #"duplicate requirement key "AVPS2-GEN-01" (line 22; first defined at line 6)"#)
    }

    @Test func yamlSyntaxErrorKeepsLineAndColumn() throws {
        let (_, error) = try loadError("syntax-error")
        #expect(error.line == 12)
        #expect(error.column == 5)
        #expect(error.field == "")
        #expect(error.message.hasPrefix("YAML syntax error: "))
    }

    @Test func wrongTypeSaysWhatWasExpected() throws {
        let (_, error) = try loadError("wrong-type")
        #expect(error.line == 19)
        #expect(error.field == "requirements[1].check")
        #expect(error.message == #"expected a mapping, found "device_present""#)
    }
}
