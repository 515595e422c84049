import AVPSModel
import Foundation

/// Rebuilds a results.json from the journal a crashed (or killed) run left behind.
extension ResultsJournal {
    /// What recovery found, so the caller can say how complete the record is.
    public struct Recovery: Sendable {
        public var run: RunResult
        /// True when the journal has a `finish` record (the run ended normally).
        public var wasFinished: Bool
        /// Lines that could not be read (a torn last line after a crash), by 1-based line number.
        public var unreadableLines: [Int]
    }

    /// Reads `results.journal.jsonl` in `runDirectory` and assembles the run from every completed
    /// target. The finish time is the last record's time; the host is the one recorded, or
    /// "unknown" when the run died before learning it. Writes results.json, junit.xml and
    /// report.html unless `writeReports` is false.
    @discardableResult
    public static func recover(runDirectory: URL, writeReports: Bool = true) throws(ReportError) -> Recovery {
        let url = runDirectory.appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .readFailed(path: url.path, reason: error.localizedDescription)
        }
        var start: JournalRecord?
        var targets: [TargetResult] = []
        var last: Date?
        var host: HostInfo?
        var finished = false
        var unreadable: [Int] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            guard let record = JournalRecord.decode(Data(line)) else {
                unreadable.append(index + 1)
                continue
            }
            last = record.at
            if let recordHost = record.host { host = recordHost }
            switch record.kind {
            case .start: start = record
            case .target: if let target = record.target { targets.append(target) }
            case .finish: finished = true
            }
        }
        guard let start, let toolVersion = start.toolVersion else {
            throw .malformedResults("\(url.path): no readable start record")
        }
        let run = RunResult(toolVersion: toolVersion, startedAt: start.at, finishedAt: last ?? start.at,
                            host: host ?? HostInfo(hostname: "unknown", kernel: "unknown", machine: "unknown",
                                                   hypervisorVersion: nil),
                            targets: targets)
        if writeReports { try ReportWriter.write(run, to: runDirectory) }
        return Recovery(run: run, wasFinished: finished, unreadableLines: unreadable)
    }
}
