import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct TextSummaryTests {
    let text = TextSummary.render(Fixtures.run)

    @Test func listsNonPassVerdictsCountsAndOutcome() {
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NOT CONFORMANT (exit 1): qemu-x86.64 tcg: NOT CONFORMANT (failed 1 MUST: AVPS2-STOR-01; missing 2 MUST: AVPS2-RNG-01 (SKIPPED), AVPS2-VSOCK-01 (ERROR); proven 1 MUST: 1 passed, 0 not applicable; attested 0 MUST); broken-board: INCOMPLETE (missing: the whole target (INFRA: ") == true)
        #expect(lines[1] == "avps 0.1.0-test: 2 target(s), started 2025-03-01T12:00:00.250Z, 37.250 s")
        #expect(lines.contains("qemu-x86.64 tcg: NOT CONFORMANT (MUST 1/4, SHOULD 1/3, MAY 0/1): failed 1 MUST: AVPS2-STOR-01; missing 2 MUST: AVPS2-RNG-01 (SKIPPED), AVPS2-VSOCK-01 (ERROR); proven 1 MUST: 1 passed, 0 not applicable; attested 0 MUST"))
        #expect(lines.contains("  to decide AVPS2-RNG-01: Could not be measured (rng rate probe timed out); rerun where the check can measure, or attest it where no machine can."))
        #expect(lines.contains("  NOT_APPLICABLE AVPS2-STOR-02 [MAY] title of AVPS2-STOR-02: no block device offered"))
        #expect(lines.contains("  FLAKY          AVPS2-GEN-02 [SHOULD] title of AVPS2-GEN-02: passed on second attempt"))
        #expect(!lines.contains { $0.contains("AVPS2-GEN-01") && $0.hasPrefix("  ") }, "PASS gets no line")
        #expect(lines.contains("  verdicts: PASS 1, NOT_APPLICABLE 1, WAIVED 1, UNTESTED 1, SKIPPED 1, FLAKY 1, FAIL 1, ERROR 1, INFRA 1"))
        #expect(lines.contains { $0.hasPrefix("broken-board: INCOMPLETE (MUST 0/2, SHOULD 0/0, MAY 0/0): missing: the whole target (INFRA") })
        #expect(lines.contains("  INFRA: hypervisor started: boot timed out after 30 s <no console output>"))
        #expect(lines.contains("  2 requirement(s) not measured (INFRA)"))
        #expect(lines.last == "outcome: NOT CONFORMANT (exit 1)")
        #expect(lines.count == 19)
    }

    @Test func isTerminalSafe() {
        #expect(!text.contains("\u{1b}") && !text.contains("\u{0}"))
        // Outcome lines (the run's, each target's) are never cut: they must say everything.
        let outcomeLines = Set(Fixtures.run.targets.map { $0.name + ": " })
        for line in text.split(separator: "\n").dropFirst() where !outcomeLines.contains(where: { line.hasPrefix($0) }) {
            #expect(line.count <= TextSummary.lineLimit, "short lines: \(line)")
        }
    }

    @Test func theOutcomeLineIsNeverCut() {
        let first = String(text.split(separator: "\n")[0])
        #expect(first.count > TextSummary.lineLimit)
        #expect(first == TextSanitizing.terminalLine(Tally.outcomeLine(Fixtures.run.targets)))
        #expect(first.hasSuffix("rerun once the test bench works.); proven 0 MUST: 0 passed, 0 not applicable; attested 0 MUST)"))
    }

    @Test func allPassRunSaysSo() {
        var target = Fixtures.mixed
        target.results = [Fixtures.result("K-1", "general", .must, .pass)]
        let run = RunResult(toolVersion: "1", startedAt: Fixtures.started, finishedAt: Fixtures.started,
                            host: Fixtures.run.host, targets: [target])
        let text = TextSummary.render(run)
        #expect(text.hasPrefix("CONFORMANT (exit 0): qemu-x86.64 tcg: CONFORMANT (every MUST requirement decided; proven 1 MUST: 1 passed, 0 not applicable; attested 0 MUST)"))
        #expect(text.hasSuffix("outcome: CONFORMANT (exit 0)\n"))
    }
}

@Suite struct ReportWriterTests {
    @Test func writesAllThreeFilesAtomically() throws {
        let directory = try ExternalTools.temporaryDirectory().appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let written = try ReportWriter.write(Fixtures.run, to: directory)
        #expect(Set(written.keys) == ["results.json", "junit.xml", "report.html"])
        #expect(try ResultsJSON.decode(Data(contentsOf: try #require(written["results.json"]))) == Fixtures.run)
        let expectedJUnit = try JUnitReport.render(Fixtures.run)
        #expect(try String(contentsOf: try #require(written["junit.xml"]), encoding: .utf8) == expectedJUnit)
        // Rewriting replaces the files and leaves no temporaries behind.
        try ReportWriter.write(Fixtures.run, to: directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            == ["junit.xml", "report.html", "results.json"])
    }

    @Test func encodingFailureWritesNothing() throws {
        let directory = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var run = Fixtures.run
        run.targets[0].stages[0].duration = .infinity
        #expect(throws: ReportError.self) { try ReportWriter.write(run, to: directory) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func unwritableDirectoryIsAReportError() throws {
        let file = try ExternalTools.write(Data(), name: "not-a-directory")
        #expect {
            try ReportWriter.write(Fixtures.run, to: file)
        } throws: { error in
            if case .writeFailed = error as? ReportError { true } else { false }
        }
    }
}
