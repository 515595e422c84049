import AVPSModel

/// `avps report diff` output: plain text for the CI log, Markdown for a pull request or wiki.
public enum RunDiffText {
    public static func text(_ diff: RunDiff) -> String {
        var lines = diff.outcomes.map { "outcome " + clean("\($0.target): \(status($0.before)) -> \(status($0.after))") }
        for kind in RunDiff.Kind.allCases {
            let changes = diff.changes.filter { $0.kind == kind }
            guard !changes.isEmpty else { continue }
            lines.append("\(kind.rawValue) (\(changes.count)):")
            lines += changes.map { "  " + clean("\($0.target) \($0.key) [\($0.level?.rawValue ?? "?")]: "
                + "\(verdicts($0)) - \($0.reason)") }
        }
        if !diff.measurements.isEmpty {
            lines.append("measurements beyond \(percent(diff.tolerance)) (\(diff.measurements.count)):")
            lines += diff.measurements.map {
                "  " + clean("\($0.target) \($0.figure): \(BarChart.format($0.before)) -> \(BarChart.format($0.after)) "
                    + "(\(signedPercent($0.relativeChange)))")
            }
        }
        let regressions = diff.regressions.count
        lines.append(regressions == 0 ? "no regressions" : "\(regressions) regression(s)")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func markdown(_ diff: RunDiff) -> String {
        var lines = ["# avps diff", "", diff.hasRegression ? "**\(diff.regressions.count) regression(s)**" : "No regressions.", ""]
        if !diff.outcomes.isEmpty {
            lines += ["| Target | Outcome before | Outcome after |", "|---|---|---|"]
            lines += diff.outcomes.map { "| \(MatrixText.md($0.target)) | \(status($0.before)) | \(status($0.after)) |" }
            lines.append("")
        }
        if !diff.changes.isEmpty {
            lines += ["| Change | Target | Requirement | Level | Before | After | Reason |", "|---|---|---|---|---|---|---|"]
            let ordered = RunDiff.Kind.allCases.flatMap { kind in diff.changes.filter { $0.kind == kind } }
            lines += ordered.map { change in
                "| \(change.kind.rawValue) | \(MatrixText.md(change.target)) | `\(MatrixText.code(change.key))` "
                    + "\(MatrixText.md(change.title)) | \(change.level?.rawValue ?? "–") | \(change.before?.rawValue ?? "–") | "
                    + "\(change.after?.rawValue ?? "–") | \(MatrixText.md(change.reason)) |"
            }
            lines.append("")
        }
        if !diff.measurements.isEmpty {
            lines += ["Measurements beyond \(percent(diff.tolerance)):", "",
                      "| Target | Figure | Before | After | Change |", "|---|---|---:|---:|---:|"]
            lines += diff.measurements.map {
                "| \(MatrixText.md($0.target)) | `\(MatrixText.code($0.figure))` | \(BarChart.format($0.before)) | "
                    + "\(BarChart.format($0.after)) | \(signedPercent($0.relativeChange)) |"
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    private static func status(_ status: Conformance.Status?) -> String { status?.rawValue ?? "absent" }

    private static func verdicts(_ change: RunDiff.Change) -> String {
        "\(change.before?.rawValue ?? "absent") -> \(change.after?.rawValue ?? "absent")"
    }

    private static func clean(_ text: String) -> String {
        let line = TextSanitizing.terminalLine(text)
        return line.count > 240 ? String(line.prefix(239)) + "…" : line
    }

    static func percent(_ fraction: Double) -> String { BarChart.format(fraction * 100) + "%" }

    private static func signedPercent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "from 0" }
        return (fraction > 0 ? "+" : "") + percent(fraction)
    }
}
