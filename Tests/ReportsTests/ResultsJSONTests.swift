import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct ResultsJSONTests {
    /// The plain run and the one with every conformance role (an attestation record included).
    @Test(arguments: [Fixtures.run, Fixtures.outcomes])
    func roundTripIsLossless(_ run: RunResult) throws {
        let data = try ResultsJSON.encode(run)
        let decoded = try ResultsJSON.decode(data)
        #expect(decoded == run)
        // Deterministic: encoding the decoded value gives the same bytes.
        #expect(try ResultsJSON.encode(decoded) == data)
    }

    @Test(arguments: [Fixtures.run, Fixtures.outcomes])
    func encodedOutputValidatesAgainstPublishedSchema(_ run: RunResult) throws {
        let file = try ExternalTools.write(try ResultsJSON.encode(run), name: "results.json")
        let output = try ExternalTools.validateJSON(file, schema: ExternalTools.resultsSchema)
        guard ExternalTools.requireTool(output, "python3", hint: "install python3 and python3-jsonschema") else { return }
        #expect(output.status != 3, "\(output.stdout)")
        #expect(output.status == 0, "schema validation failed:\n\(output.stdout)\(output.stderr)")
    }

    /// Guards against a validator that accepts anything: a wrong verdict and an unknown field
    /// must both be rejected.
    @Test(arguments: [
        (#""verdict" : "PASS""#, #""verdict" : "MAYBE""#),
        (#""tool_version""#, #""surprise": 1, "tool_version""#),
        (#""schema_version" : 1"#, #""schema_version" : 2"#),
    ])
    func schemaRejectsDrift(original: String, replacement: String) throws {
        let text = String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)
        #expect(text.contains(original))
        let broken = text.replacingOccurrences(of: original, with: replacement)
        let file = try ExternalTools.write(Data(broken.utf8), name: "broken.json")
        let output = try ExternalTools.validateJSON(file, schema: ExternalTools.resultsSchema)
        guard ExternalTools.requireTool(output, "python3", hint: "install python3 and python3-jsonschema") else { return }
        #expect(output.status == 1, "expected a validation failure, got \(output.status): \(output.stdout)\(output.stderr)")
    }

    /// The schema's enums must list exactly the model's cases, so adding a verdict forces a schema update.
    @Test func schemaEnumsMatchModel() throws {
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: ExternalTools.resultsSchema))
        let defs = (schema as? [String: Any])?["$defs"] as? [String: Any]
        let result = (defs?["requirement_result"] as? [String: Any])?["properties"] as? [String: Any]
        let verdicts = (result?["verdict"] as? [String: Any])?["enum"] as? [String]
        let levels = (result?["level"] as? [String: Any])?["enum"] as? [String]
        #expect(verdicts.map(Set.init) == Set(Verdict.allCases.map(\.rawValue)))
        #expect(levels.map(Set.init) == Set(RequirementLevel.allCases.map(\.rawValue)))
    }

    @Test func writesSortedKeysAndMillisecondUTCDates() throws {
        let text = String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)
        #expect(text.contains(#""started_at" : "2025-03-01T12:00:00.250Z""#))
        #expect(text.contains(#""finished_at" : "2025-03-01T12:00:37.500Z""#))
        let finished = try #require(text.range(of: "\"finished_at\""))
        let host = try #require(text.range(of: "\"host\""))
        #expect(finished.lowerBound < host.lowerBound)
        #expect(!text.contains("evidence\" : null"), "absent optionals are omitted, as the schema says")
    }

    @Test func rejectsNewerSchemaVersion() throws {
        let text = String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)
            .replacingOccurrences(of: #""schema_version" : 1"#, with: #""schema_version" : 7"#)
        #expect(throws: ReportError.unsupportedSchemaVersion(found: 7, supported: 1)) {
            try ResultsJSON.decode(Data(text.utf8))
        }
        let message = ReportError.unsupportedSchemaVersion(found: 7, supported: 1).description
        #expect(message.contains("schema_version 7") && message.contains("newer avps"))
    }

    @Test func refusesToEncodeAnUnknownSchemaVersion() {
        var run = Fixtures.run
        run.schemaVersion = 2
        #expect(throws: ReportError.unsupportedSchemaVersion(found: 2, supported: 1)) {
            try ResultsJSON.encode(run)
        }
    }

    @Test func malformedInputNamesTheProblem() throws {
        #expect(throws: ReportError.self) { try ResultsJSON.decode(Data("not json".utf8)) }
        let text = String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)
            .replacingOccurrences(of: #""verdict" : "PASS""#, with: #""verdict" : "MAYBE""#)
        do {
            _ = try ResultsJSON.decode(Data(text.utf8))
            Issue.record("decoding an unknown verdict must fail")
        } catch {
            guard case .malformedResults(let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("targets[0].results[0].verdict"), "\(detail)")
        }
    }

    @Test func nonFiniteDurationIsAnEncodingError() {
        var run = Fixtures.run
        run.targets[0].stages[0].duration = .nan
        #expect {
            try ResultsJSON.encode(run)
        } throws: { error in
            if case .encodingFailed = error as? ReportError { true } else { false }
        }
    }
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_740_830_400.250)
        #expect(Timestamps.iso8601Millis(date) == "2025-03-01T12:00:00.250Z")
        #expect(Timestamps.parse("2025-03-01T12:00:00.250Z") == date)
        #expect(Timestamps.parse("2025-03-01T12:00:00Z") == Date(timeIntervalSince1970: 1_740_830_400))
        #expect(Timestamps.parse("2025-03-01T12:00:00.25Z") == date)
        #expect(Timestamps.parse("2025-03-01T12:00:00.250000000Z") == date)
        #expect(Timestamps.parse("2025-03-01 12:00:00Z") == nil)
        #expect(Timestamps.parse("2025-03-01T12:00:00.Z") == nil)
        #expect(Timestamps.parse("2025-03-01T12:00:00+01:00") == nil)
        #expect(Timestamps.junitTimestamp(date) == "2025-03-01T12:00:00")
    }

    @Test func beforeTheEpochStillFormatsCorrectly() {
        let date = Date(timeIntervalSince1970: -0.5)
        #expect(Timestamps.iso8601Millis(date) == "1969-12-31T23:59:59.500Z")
        #expect(Timestamps.parse("1969-12-31T23:59:59.500Z") == date)
    }

    @Test(arguments: [(0.0, "0.000"), (1.2344, "1.234"), (1.2346, "1.235"), (-3, "0.000"),
                      (.infinity, "0.000"), (.nan, "0.000"), (12345.5, "12345.500")])
    func secondsFormatting(value: Double, expected: String) {
        #expect(Timestamps.seconds(value) == expected)
    }
}
