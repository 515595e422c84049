import AVPSModel
import Foundation
import Synchronization

/// The run's results written as they happen, so a crash loses no completed verdict.
///
/// `results.journal.jsonl` in the run directory holds one JSON object per line: a `start` record
/// (tool version, start time, host when known), one `target` record per completed `TargetResult`,
/// and a `finish` record. Each record is written with a single `write(2)` and made durable with
/// `fsync(2)` before `append` returns. A crash can leave at most one torn last line, which
/// `recover` ignores. The journal is kept after `finish`: it is the audit trail of the run.
///
/// `append` blocks for one fsync (milliseconds); callers on Swift's cooperative pool should use
/// `appendOffPool`, which does the write on a dedicated queue.
public final class ResultsJournal: Sendable {
    public static let fileName = "results.journal.jsonl"

    public let url: URL
    private let descriptor: Mutex<Int32>
    private static let queue = DispatchQueue(label: "avps.results-journal")

    /// Creates (or truncates) the journal in `runDirectory` and writes the durable `start` record.
    public init(runDirectory: URL, toolVersion: String, startedAt: Date, host: HostInfo? = nil) throws(ReportError) {
        url = runDirectory.appendingPathComponent(Self.fileName)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: url.path, reason: String(cString: strerror(errno))) }
        descriptor = Mutex(fd)
        try write(JournalRecord(kind: .start, toolVersion: toolVersion, at: startedAt, host: host))
        // The directory entry must be durable too, or a crash could lose the whole file.
        Self.syncDirectory(runDirectory)
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
        }
    }

    /// Appends one completed target and returns once it is on disk.
    public func append(_ target: TargetResult) throws(ReportError) {
        try write(JournalRecord(kind: .target, at: Date(), target: target))
    }

    /// `append`, with the blocking write and fsync on a dedicated queue instead of the cooperative pool.
    public func appendOffPool(_ target: TargetResult) async throws(ReportError) {
        let result: Result<Void, ReportError> = await withCheckedContinuation { continuation in
            Self.queue.async {
                do throws(ReportError) {
                    try self.append(target)
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        try result.get()
    }

    /// Writes the final reports (results.json, junit.xml, report.html) and a `finish` record,
    /// then closes the journal.
    @discardableResult
    public func finish(_ run: RunResult) throws(ReportError) -> [String: URL] {
        let written = try ReportWriter.write(run, to: url.deletingLastPathComponent())
        try write(JournalRecord(kind: .finish, at: run.finishedAt, host: run.host))
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
        return written
    }

    private func write(_ record: JournalRecord) throws(ReportError) {
        var line = try JournalRecord.encode(record)
        line.append(0x0A)
        let path = url.path
        let failure: String? = descriptor.withLock { fd in
            guard fd >= 0 else { return "journal is already finished" }
            let written = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written != line.count { return written < 0 ? String(cString: strerror(errno)) : "short write" }
            return fsync(fd) == 0 ? nil : "fsync: " + String(cString: strerror(errno))
        }
        if let failure { throw .writeFailed(path: path, reason: failure) }
    }

    private static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
