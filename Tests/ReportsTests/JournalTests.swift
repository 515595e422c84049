import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct JournalTests {
    /// A run that dies after two targets (and mid-write of a third) loses neither completed verdict.
    @Test func crashedRunIsRecoveredFromTheJournal() throws {
        let directory = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let journal = try ResultsJournal(runDirectory: directory, toolVersion: "0.1.0-test", startedAt: Fixtures.started)
            try journal.append(Fixtures.mixed)
            try journal.append(Fixtures.broken)
        }
        // The crash: a torn half record at the end, and no finish record.
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(ResultsJournal.fileName))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"kind":"target","at":"2025-03-01T12:00:"#.utf8))
        try handle.close()

        let recovery = try ResultsJournal.recover(runDirectory: directory)
        #expect(recovery.run.targets == [Fixtures.mixed, Fixtures.broken])
        #expect(recovery.run.startedAt == Fixtures.started)
        #expect(recovery.run.toolVersion == "0.1.0-test")
        #expect(recovery.run.host.hostname == "unknown", "the run died before the host was recorded")
        #expect(!recovery.wasFinished)
        #expect(recovery.unreadableLines == [4])
        let written = try ResultsJSON.decode(Data(contentsOf: directory.appendingPathComponent("results.json")))
        #expect(written == recovery.run)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("report.html").path))
        let output = try ExternalTools.validateJSON(directory.appendingPathComponent("results.json"),
                                                    schema: ExternalTools.resultsSchema)
        guard ExternalTools.requireTool(output, "python3", hint: "install python3-jsonschema") else { return }
        #expect(output.status == 0, "\(output.stdout)")
    }

    @Test func finishWritesReportsAndClosesTheJournal() throws {
        let directory = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try ResultsJournal(runDirectory: directory, toolVersion: "0.1.0-test", startedAt: Fixtures.started,
                                         host: Fixtures.run.host)
        try journal.append(Fixtures.mixed)
        try journal.append(Fixtures.broken)
        let written = try journal.finish(Fixtures.run)
        #expect(Set(written.keys) == ["results.json", "junit.xml", "report.html"])
        #expect(throws: ReportError.self) { try journal.append(Fixtures.mixed) }
        let lines = try String(contentsOf: journal.url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { JournalRecord.decode(Data($0.utf8)) != nil })
        let recovered = try ResultsJournal.recover(runDirectory: directory, writeReports: false)
        #expect(recovered.wasFinished)
        #expect(recovered.run == Fixtures.run, "a finished journal reproduces the final results.json")
    }

    @Test func appendOffPoolIsDurableToo() async throws {
        let directory = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try ResultsJournal(runDirectory: directory, toolVersion: "1", startedAt: Fixtures.started)
        try await journal.appendOffPool(Fixtures.mixed)
        #expect(try ResultsJournal.recover(runDirectory: directory, writeReports: false).run.targets == [Fixtures.mixed])
    }

    @Test func missingJournalIsAReadError() {
        #expect {
            try ResultsJournal.recover(runDirectory: URL(fileURLWithPath: "/nonexistent-avps-run"))
        } throws: { error in
            if case .readFailed = error as? ReportError { true } else { false }
        }
    }
}
