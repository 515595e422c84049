import AVPSModel
import Foundation

/// Writes the three report files of a run into its run directory.
///
/// Each file is written to a temporary name in the same directory and then renamed over the final
/// name, so a reader (a CI server collecting junit.xml, a person reloading report.html, `avps
/// report diff` reading results.json) never sees a half-written file, and an interrupted run
/// leaves the previous complete file in place.
public enum ReportWriter {
    /// Renders all reports first (so a failing encoder writes nothing), then writes each one.
    /// Returns file name -> URL of what was written.
    @discardableResult
    public static func write(_ run: RunResult, to directory: URL) throws(ReportError) -> [String: URL] {
        let contents: [(String, Data)] = [
            (ResultsJSON.fileName, try ResultsJSON.encode(run)),
            (JUnitReport.fileName, Data(try JUnitReport.render(run).utf8)),
            (HTMLReport.fileName, Data(HTMLReport.render(run).utf8)),
        ]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        var written: [String: URL] = [:]
        for (name, data) in contents {
            let url = directory.appendingPathComponent(name)
            try writeAtomically(data, to: url)
            written[name] = url
        }
        return written
    }

    /// Temp file in the target directory (same file system, so the rename is atomic), then rename.
    public static func writeAtomically(_ data: Data, to url: URL) throws(ReportError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw ReportError.writeFailed(path: url.path, reason: reason)
            }
        } catch let error as ReportError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
