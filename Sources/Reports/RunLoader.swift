import AVPSModel
import Foundation

/// A results.json read from disk, with the run directory its relative artifact paths refer to.
public struct LoadedRun: Sendable {
    public var directory: URL
    public var run: RunResult
    /// How the run is named in matrices and diffs: the directory name (e.g. the UTC timestamp).
    public var label: String

    public init(directory: URL, run: RunResult, label: String) {
        self.directory = directory
        self.run = run
        self.label = label
    }

    /// Reads `path`, which is a run directory (holding results.json) or a results.json file.
    public static func load(_ path: String) throws(ReportError) -> LoadedRun {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .readFailed(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue { url.appendPathComponent(ResultsJSON.fileName) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .readFailed(path: url.path, reason: error.localizedDescription)
        }
        let run = try ResultsJSON.decode(data)
        let directory = url.deletingLastPathComponent()
        return LoadedRun(directory: directory, run: run, label: directory.lastPathComponent)
    }
}

/// Paths between output files and run directories, for links that work after copying the tree.
enum RelativePath {
    /// `target` relative to `base` (both directories or files, absolute), e.g. `../runs/1/report.html`.
    static func from(_ base: URL, to target: URL) -> String {
        let baseParts = base.standardizedFileURL.pathComponents
        let targetParts = target.standardizedFileURL.pathComponents
        var common = 0
        while common < min(baseParts.count, targetParts.count), baseParts[common] == targetParts[common] { common += 1 }
        let ups = Array(repeating: "..", count: baseParts.count - common)
        let parts = ups + targetParts[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
