import AVPSModel
import AVPSProfiles
import Testing

/// Loader behaviour on small inline documents: spellings that must resolve, and errors that
/// must name the right line and field.
@Suite struct ProfileLoaderTests {
    static let header = """
        schema: 1
        id: inline
        title: Inline profile
        spec_version: "2.0"
        requirements:
        """

    /// A one-requirement profile whose requirement body is `body` (indented four spaces).
    func document(_ body: String) -> String {
        Self.header + "\n  - key: X-01\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
    }

    func requirement(_ body: String) throws -> Requirement {
        let profile = try ProfileLoader.load(yaml: document(body), file: "inline.yaml")
        return try #require(profile.requirements.first)
    }

    func error(_ yaml: String) throws -> LoadError {
        try #require(throws: LoadError.self) { try ProfileLoader.load(yaml: yaml, file: "inline.yaml") }
    }

    static let common = "title: t\nchapter: c\ncategory: g\nlevel: MUST\nconfidence: derived\nrationale: r\n"

    @Test(arguments: ["VERSION_1", "F_VERSION_1", "VIRTIO_F_VERSION_1", "version_1"])
    func transportSpellings(_ name: String) throws {
        let requirement = try requirement(Self.common + "check: { feature_negotiated: { device: block, feature: \(name) } }")
        #expect(requirement.check == .featureNegotiated(.deviceID(2), bit: 32))
    }

    @Test(arguments: ["FLUSH", "BLK_F_FLUSH", "VIRTIO_BLK_F_FLUSH", "VIRTIO_BLK_F_WCE"])
    func deviceSpecificSpellings(_ name: String) throws {
        let requirement = try requirement(Self.common + "check: { feature_negotiated: { device: block, feature: \(name) } }")
        #expect(requirement.check == .featureNegotiated(.deviceID(2), bit: 9))
    }

    @Test func noCheckAndConditionForms() throws {
        let requirement = try requirement(Self.common + "applies_if: { device_present: { device: rng } }")
        #expect(requirement.check == nil)
        #expect(requirement.appliesIf == .devicePresent(.deviceID(4)))
    }

    @Test func deviceFeatureOnAnyIsRejectedWithOwner() throws {
        let error = try error(document(Self.common + "check: { feature_negotiated: { device: any, feature: FLUSH } }"))
        #expect(error.line == 13)
        #expect(error.field == "requirements[0].check.feature_negotiated.feature")
        #expect(error.message.contains("(it is a feature of block)"))
    }

    @Test func unknownDeviceSuggests() throws {
        let error = try error(document(Self.common + "check: { device_present: blok }"))
        #expect(error.field == "requirements[0].check.device_present")
        #expect(error.message == #"unknown device "blok"; did you mean "block"?"#)
    }

    @Test func missingFieldPointsAtTheRequirement() throws {
        let error = try error(document("title: t\nchapter: c\ncategory: g\nlevel: MUST\nrationale: r\n"))
        #expect(error.line == 6)
        #expect(error.field == "requirements[0].confidence")
        #expect(error.message == "missing required field")
    }

    @Test func twoChecksInOneAreAmbiguous() throws {
        let error = try error(document(Self.common + "check: { device_present: block, driver_ready: block }"))
        #expect(error.field == "requirements[0].check")
        #expect(error.message.contains("found device_present and driver_ready"))
    }

    @Test func unsupportedSchema() throws {
        let error = try error("schema: 2\nid: x\ntitle: x\nspec_version: \"2.0\"\nrequirements: []\n")
        #expect(error.line == 1)
        #expect(error.field == "schema")
        #expect(error.description.hasPrefix("inline.yaml:1:9: schema: unsupported schema 2"))
    }

    @Test func schemaMustBeAnInteger() throws {
        let error = try error("schema: one\nid: x\ntitle: x\nspec_version: \"2.0\"\nrequirements: []\n")
        #expect(error.field == "schema")
        #expect(error.message == #"expected an integer, found "one""#)
    }

    @Test func duplicateYamlKeyInOneMapping() throws {
        let error = try error("schema: 1\nid: x\nid: y\ntitle: x\nspec_version: \"2.0\"\nrequirements: []\n")
        #expect(error.line == 3, "the repeated key, not the first one")
        #expect(error.message.contains(#""id""#))
    }

    @Test func emptyDocument() throws {
        let error = try error("")
        #expect(error.line == 0)
        #expect(error.description == "inline.yaml: file is empty")
    }
}
