import AVPSModel
import Foundation
import Testing
@testable import Reports

/// Every format states the outcome `Conformance` decides, and none turns a SHOULD deviation or an
/// absent MAY feature into a failure.
@Suite struct OutcomeFormatsTests {
    static let run = Fixtures.outcomes

    @Test func everyFormatSaysTheSameOutcome() throws {
        #expect(Conformance.outcome(of: Fixtures.conformant).status == .conformant)
        #expect(Conformance.outcome(of: Fixtures.incomplete).status == .incomplete)
        #expect(RunOutcome.of(Self.run.targets) == .incomplete)
        let summary = TextSummary.render(Self.run)
        #expect(summary.hasPrefix("INCOMPLETE (exit 4): acme-conformant: CONFORMANT"))
        #expect(summary.hasSuffix("outcome: INCOMPLETE (exit 4)\n"))
        let html = HTMLReport.render(Self.run)
        #expect(html.contains("<p class=\"outcome\">Outcome: <span class=\"badge o-incomplete\">INCOMPLETE</span> INCOMPLETE (exit 4)"))
        #expect(html.contains("acme-conformant <span class=\"badge o-conformant\">CONFORMANT</span>"))
        #expect(html.contains("acme-incomplete <span class=\"badge o-incomplete\">INCOMPLETE</span>"))
        let junit = try JUnitReport.render(Self.run)
        #expect(junit.contains("<property name=\"avps.conformance\" value=\"INCOMPLETE\"/>"))
        #expect(junit.contains("<property name=\"avps.conformance\" value=\"CONFORMANT\"/>"))
        let json = String(decoding: try ResultsJSON.encode(Self.run), as: UTF8.self)
        #expect(json.contains("\"exit_code\" : 4") && json.contains("\"status\" : \"INCOMPLETE\""))
        let matrix = MatrixText.csv(GoldenTests.matrix([Self.run]))
        #expect(matrix.contains("\"outcome\",\"\",\"\",\"\",\"CONFORMANT\",\"INCOMPLETE\""))
    }

    @Test func noFailureForDeviationsOrAbsentMayFeatures() throws {
        let junit = try JUnitReport.render(Self.run)
        #expect(junit.contains("failures=\"0\" errors=\"0\""))
        #expect(!junit.contains("<failure"))
        #expect(junit.contains("type=\"DEVIATION\""))
        #expect(junit.contains("type=\"NOT_OFFERED\""))
        #expect(junit.contains("type=\"ATTESTED\""))
        #expect(junit.contains("attestation file: attestations/acme-board.yaml (sha256 \(String(repeating: "ab", count: 32))), signer key sha256 \(String(repeating: "5e", count: 32))"))
    }

    @Test func noMayIsRedAndAttestedIsNeverPass() {
        let html = HTMLReport.render(Self.run)
        #expect(html.contains("<span class=\"badge v-not_offered\">NOT_OFFERED</span>"))
        #expect(!html.contains("v-fail\">FAIL"), "a SHOULD miss reads DEVIATION, a MAY absence NOT_OFFERED")
        #expect(html.contains("<span class=\"badge v-deviation\">DEVIATION</span> <em>(justified by jane.doe@acme.example"))
        #expect(html.contains("<span class=\"badge v-attested\">ATTESTED</span><br><span class=\"basis b-attested\">signed statement, not a measurement</span>"))
        #expect(html.contains("key 5e5e5e5e5e5e5e5e…; <a href=\"attestations/acme-board.yaml\">attestations/acme-board.yaml</a>"))
        let summary = TextSummary.render(Self.run)
        #expect(summary.contains("  DEVIATION      AVPS2-STOR-03 [SHOULD]"))
        #expect(summary.contains("  ATTESTED       AVPS2-EMU-01 [MUST]"))
        #expect(summary.contains("  to decide AVPS2-STOR-09: No machine check exists yet: it needs one in avps, a signed vendor attestation"))
    }
}
