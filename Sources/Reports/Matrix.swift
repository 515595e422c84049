import AVPSModel
import Foundation

/// The plugfest view: requirements × targets across many runs, each cell linked to the row of
/// the run's report.html that holds its reason and evidence.
public struct Matrix: Sendable {
    /// One implementation under test: a target of one run.
    public struct Column: Sendable {
        public var target: String
        public var run: String
        /// The adapter (the vendor's integration), e.g. `qemu`.
        public var vendor: String
        public var version: String
        public var guest: String
        public var profile: String
        /// Link to the target's section in its report.html, relative to the matrix file (nil: no report).
        var reportHref: String?
        var targetIndex: Int
        var figures: [MeasuredFigures.Figure]
        var devices: [VirtioDeviceRecord]
        var infraError: String?
        /// The target's conformance outcome (`Conformance.outcome`).
        public var status: Conformance.Status

        public var label: String { "\(target) @ \(run)" }

        func href(for key: String) -> String? {
            reportHref.map { "\($0)#\(Anchors.requirement(target: targetIndex, key: key))" }
        }
    }

    public struct Row: Sendable {
        public var key: String
        public var title: String
        public var category: String
        public var level: RequirementLevel
        /// One per column; nil when that target's profile has no such requirement.
        public var cells: [RequirementResult?]
    }

    public var columns: [Column]
    public var rows: [Row]

    /// - Parameters:
    ///   - outputDirectory: where the matrix files go; links to each run's report.html are
    ///     relative to it so the tree can be copied or served as is.
    ///   - hasReport: whether a run directory holds a report.html to link to (tests fix it).
    public init(_ runs: [LoadedRun], outputDirectory: URL,
                hasReport: (URL) -> Bool = { FileManager.default.fileExists(atPath: $0.path) }) {
        var columns: [Column] = []
        var results: [[String: RequirementResult]] = []
        var order: [String] = []
        var first: [String: RequirementResult] = [:]
        for loaded in runs {
            let report = loaded.directory.appendingPathComponent(HTMLReport.fileName)
            let href = hasReport(report) ? RelativePath.from(outputDirectory, to: report) : nil
            for (index, target) in loaded.run.targets.enumerated() {
                let guest = target.vms.map { "system of \($0.joined(separator: ", "))" }
                    ?? target.evidence.map { "\($0.guest.kernelRelease) (\($0.guest.machine))" } ?? "no guest answer"
                columns.append(Column(
                    target: target.name, run: loaded.label, vendor: target.adapter,
                    version: target.hypervisorVersion ?? loaded.run.host.hypervisorVersion ?? "unknown", guest: guest, profile: target.profile.id,
                    reportHref: href, targetIndex: index + 1, figures: MeasuredFigures.of(target.evidence),
                    devices: target.evidence?.devices ?? [], infraError: target.infraError,
                    status: Conformance.outcome(of: target).status))
                var byKey: [String: RequirementResult] = [:]
                for result in target.results {
                    if first[result.key] == nil {
                        first[result.key] = result
                        order.append(result.key)
                    }
                    byKey[result.key] = result
                }
                results.append(byKey)
            }
        }
        self.columns = columns
        // Rows grouped by category in first-seen order, requirements in first-seen order within.
        let categories = Tally.byCategory(order.compactMap { first[$0] })
        rows = categories.flatMap(\.results).map { result in
            Row(key: result.key, title: result.title, category: result.category, level: result.level,
                cells: results.map { $0[result.key] })
        }
    }

    /// Rows grouped by category, in matrix order.
    var rowsByCategory: [(category: String, rows: [Row])] {
        var order: [String] = []
        var groups: [String: [Row]] = [:]
        for row in rows {
            if groups[row.category] == nil { order.append(row.category) }
            groups[row.category, default: []].append(row)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
