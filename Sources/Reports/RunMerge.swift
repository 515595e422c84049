import AVPSModel
import Foundation

/// `avps report merge`: joins shards (runs of the same suite split over machines, or the runs
/// of a plugfest) into one run directory with one results.json, junit.xml and report.html.
///
/// Each shard's artifacts are copied under `shard-N/` of the output, and their paths rewritten,
/// so the merged directory is complete on its own (it can be bundled or archived). Paths that are
/// not run-relative are kept as text, as the reports do. The merged run starts at the earliest
/// shard start and finishes at the latest finish; its host is the first shard's, and when shards
/// ran on different machines the host name lists them all.
public enum RunMerge {
    public static func merge(_ shards: [LoadedRun], into output: URL) throws(ReportError) -> RunResult {
        guard let first = shards.first else { throw .invalidInput("merge needs at least one run") }
        var targets: [TargetResult] = []
        for (index, shard) in shards.enumerated() {
            let prefix = "shard-\(index + 1)"
            for var target in shard.run.targets {
                var artifacts: [String: String] = [:]
                for (name, path) in target.artifacts {
                    guard ArtifactPaths.isRunRelative(path), !path.split(separator: "/").contains("..") else {
                        artifacts[name] = path
                        continue
                    }
                    let source = shard.directory.appendingPathComponent(path)
                    let destination = output.appendingPathComponent(prefix).appendingPathComponent(path)
                    try copy(source, to: destination)
                    artifacts[name] = "\(prefix)/\(path)"
                }
                target.artifacts = artifacts
                targets.append(target)
            }
        }
        let versions = orderedUnique(shards.map(\.run.toolVersion))
        let hosts = orderedUnique(shards.map(\.run.host.hostname))
        var host = first.run.host
        if hosts.count > 1 { host.hostname = hosts.joined(separator: ", ") }
        let merged = RunResult(toolVersion: versions.joined(separator: ", "),
                               startedAt: shards.map(\.run.startedAt).min() ?? first.run.startedAt,
                               finishedAt: shards.map(\.run.finishedAt).max() ?? first.run.finishedAt,
                               host: host, targets: targets)
        try ReportWriter.write(merged, to: output)
        return merged
    }

    private static func copy(_ source: URL, to destination: URL) throws(ReportError) {
        let manager = FileManager.default
        guard manager.fileExists(atPath: source.path) else { return }
        do {
            try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.copyItem(at: source, to: destination)
        } catch {
            throw .writeFailed(path: destination.path, reason: error.localizedDescription)
        }
    }

    private static func orderedUnique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
