import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// Attestation files read like profiles: every mistake names file, line and field; keys and
/// targets are checked against the run; an expired entry or one for a machine-checked
/// requirement is a warning that says what wins.
@Suite struct AttestationFileTests {
    static let root = ExternalTool.packageRoot
    static let example = root.appendingPathComponent("Suites/attestations/qemu-reference.example.yaml")
    static let today = CalendarDay(year: 2026, month: 12, day: 5)

    static var profile: Profile {
        get throws { try ProfileLoader.load(contentsOf: root.appendingPathComponent("Profiles/avps-2.0.yaml")) }
    }

    static func yaml(key: String = "AVPS2-EMU-01", targets: String = "[board-1]", date: String = "2026-11-30",
                     expires: String = "2027-05-31", extra: String = "") -> String {
        """
        schema: 1
        vendor: Acme
        attestations:
          - key: \(key)
            targets: \(targets)
            statement: The UART matches silicon rev B.
            evidence: https://acme.example/qa/1234
            owner: qa@acme.example
            date: \(date)
            expires: \(expires)
        \(extra)
        """
    }

    func check(_ text: String, targets: [String]? = ["board-1"]) throws -> AttestationFile.Findings {
        try AttestationFile.load(yaml: text, file: "acme.yaml").check(profiles: [Self.profile], targets: targets, today: Self.today)
    }

    @Test func aGoodFileReadsAndChecksClean() throws {
        let file = try AttestationFile.load(yaml: Self.yaml(), file: "acme.yaml")
        #expect(file.vendor == "Acme")
        let entry = try #require(file.entries.first)
        #expect(entry.key == "AVPS2-EMU-01" && entry.targets == ["board-1"] && entry.owner == "qa@acme.example")
        #expect(entry.date == CalendarDay(year: 2026, month: 11, day: 30) && entry.expires == CalendarDay(year: 2027, month: 5, day: 31))
        let findings = try check(Self.yaml())
        #expect(findings.errors.isEmpty && findings.warnings.isEmpty, "\(findings)")
    }

    @Test func anUnknownRequirementKeyIsNamedWithFileLineAndField() throws {
        let findings = try check(Self.yaml(key: "AVPS2-EMU-1"))
        let error = try #require(findings.errors.first)
        #expect(error.description.hasPrefix("acme.yaml:4:10: attestations[0].key: no requirement \"AVPS2-EMU-1\" in avps-2.0"), "\(error)")
        #expect(error.description.hasSuffix("did you mean \"AVPS2-EMU-01\"?"), "\(error)")
    }

    @Test func anUnknownTargetIsNamedAtItsLine() throws {
        let findings = try check(Self.yaml(targets: "[board-1, bord-2]"), targets: ["board-1", "board-2"])
        let error = try #require(findings.errors.first)
        #expect(error.description.hasPrefix("acme.yaml:5:24: attestations[0].targets[1]: no target \"bord-2\" in this run"), "\(error)")
        #expect(error.description.contains("did you mean \"board-2\"?"))
        // Without a suite (avps attest verify with no --suite), targets are not checked.
        #expect(try check(Self.yaml(targets: "[anything]"), targets: nil).errors.isEmpty)
    }

    @Test func expiredIsAWarningNamingTheExpiryLine() throws {
        let findings = try check(Self.yaml(date: "2025-01-01", expires: "2026-12-04"))
        #expect(findings.errors.isEmpty)
        let warning = try #require(findings.warnings.first)
        #expect(warning.description == "acme.yaml:10:14: attestations[0].expires: expired on 2026-12-04: it no longer decides AVPS2-EMU-01; renew the evidence and re-sign the file")
        #expect(try check(Self.yaml(expires: "2026-12-05")).warnings.isEmpty, "the expiry day still counts")
    }

    @Test func datesMustBeRealOrderedAndNotInTheFuture() throws {
        let future = try #require(try check(Self.yaml(date: "2026-12-06")).errors.first)
        #expect(future.description.hasPrefix("acme.yaml:9:11: attestations[0].date: dated 2026-12-06, after today (2026-12-05)"), "\(future)")
        #expect(throws: LoadError.self) { try AttestationFile.load(yaml: Self.yaml(expires: "2026-11-29"), file: "acme.yaml") }
        do {
            _ = try AttestationFile.load(yaml: Self.yaml(expires: "2026-02-30"), file: "acme.yaml")
            Issue.record("an impossible date was accepted")
        } catch {
            #expect(error.description == "acme.yaml:10:14: attestations[0].expires: must be a date written YYYY-MM-DD (found \"2026-02-30\")")
        }
    }

    @Test func structureMistakesAreAllReported() throws {
        let text = """
            schema: 1
            vendor: Acme
            attestations:
              - key: AVPS2-EMU-01
                targets: []
                statement: x
                evidence: y
                owner: z
                date: 2026-01-01
                expires: 2026-12-31
              - key: AVPS2-NET-07
                targets: [board-1]
                statment: typo
            """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attest-lint-\(UInt32.random(in: 0...UInt32.max)).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (file, errors) = AttestationFile.lint(contentsOf: url)
        #expect(file == nil)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.first?.line == 5 && errors.first?.field == "attestations[0].targets")
        #expect(errors.last?.line == 13 && errors.last?.message.contains("unknown field \"statment\"; did you mean \"statement\"?") == true)
    }

    @Test func aSecondEntryForTheSameKeyAndTargetIsRefusedAtTheRepeat() throws {
        let repeated = Self.yaml(extra: """
              - key: AVPS2-EMU-01
                targets: [board-1]
                statement: again
                evidence: e
                owner: o
                date: 2026-11-30
                expires: 2027-05-31
            """)
        do {
            _ = try AttestationFile.load(yaml: repeated, file: "acme.yaml")
            Issue.record("a repeated attestation was accepted")
        } catch {
            #expect(error.description.hasPrefix("acme.yaml:11:"), "\(error)")
            #expect(error.message.contains("second attestation of AVPS2-EMU-01 for board-1 (first at line 4)"))
        }
    }

    @Test func anEntryForAMachineCheckedRequirementWarnsThatTheMeasurementWins() throws {
        let findings = try check(Self.yaml(key: "AVPS2-GEN-05"))
        #expect(findings.errors.isEmpty)
        #expect(findings.warnings.first?.message.contains("a measured verdict wins, and a measured FAIL is never overridden") == true)
    }

    @Test func theShippedExampleChecksAgainstTheDefaultSuite() throws {
        let suite = try SuiteLoader.load(contentsOf: Self.root.appendingPathComponent("Suites/default.yaml"))
        let file = try AttestationFile.load(contentsOf: Self.example)
        let findings = file.check(profiles: [try Self.profile], targets: suite.targets.map(\.name), today: Self.today)
        #expect(findings.errors.isEmpty && findings.warnings.isEmpty, "\(findings)")
        #expect(file.entries.map(\.key) == ["AVPS2-EMU-01", "AVPS2-NET-07", "AVPS2-CON-06"])
    }

    @Test func publishedSchemaIsTheGeneratedOneAndAcceptsTheExample() throws {
        let schema = Self.root.appendingPathComponent("Profiles/schema/attestation.schema.json")
        #expect(try String(contentsOf: schema, encoding: .utf8) == AttestationSchema.text,
                "run: .build/debug/avps attest schema > Profiles/schema/attestation.schema.json")
        let run = try ExternalTool.run("check-jsonschema", ["--schemafile", schema.path, Self.example.path])
        guard ExternalTool.present(run, "check-jsonschema", hint: "pip install check-jsonschema (ci/setup does)") else { return }
        #expect(run.status == 0, "\(run.output)")
    }

    @Test func aSuiteNamesAttestationFilesAndTheirKeysRelativeToItself() throws {
        let suite = try SuiteLoader.load(yaml: """
            schema: 1
            name: s
            profiles: [avps-2.0]
            targets: [{name: board-1, devices: [entropy]}]
            attestations:
              - file: attestations/acme.yaml
                trust_keys: [keys/acme.pub.pem, /etc/avps/ci.pub.pem]
            """, file: "/work/suites/s.yaml")
        #expect(suite.attestations == [AttestationSource(file: "/work/suites/attestations/acme.yaml",
                                                         trustKeys: ["/work/suites/keys/acme.pub.pem", "/etc/avps/ci.pub.pem"])])
        #expect(throws: LoadError.self) {
            try SuiteLoader.load(yaml: "schema: 1\nname: s\nprofiles: [avps-2.0]\ntargets: [{name: b, devices: [entropy]}]\nattestations: [{file: a.yaml, trust_keys: []}]\n",
                                 file: "s.yaml")
        }
    }
}
