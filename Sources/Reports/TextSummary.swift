import AVPSModel

/// The few lines `avps run` prints when it finishes: the conformance outcome first (what was
/// proven, attested and what is missing), what needs attention, and the outcome again last.
///
/// The outcome line and each target's line are never cut: they say exactly what was proven,
/// attested and what is missing, however long that is. Only non-PASS verdicts get a line (the
/// reports hold the rest), cut at `lineLimit`. A target that never booted gets
/// its infra error once instead of one INFRA line per requirement. Every untrusted string is made
/// a single terminal-safe line, so a guest cannot forge summary lines or send escape sequences
/// to the operator's terminal.
public enum TextSummary {
    /// Longest line printed for one requirement before it is cut; the full text is in the reports.
    static let lineLimit = 160

    public static func render(_ run: RunResult) -> String {
        let duration = Timestamps.seconds(run.finishedAt.timeIntervalSince(run.startedAt))
        var lines = [clean(Tally.outcomeLine(run.targets)),
                     "avps \(clean(run.toolVersion)): \(run.targets.count) target(s), started "
                        + "\(Timestamps.iso8601Millis(run.startedAt)), \(duration) s"]
        for target in run.targets { lines += targetLines(target) }
        let outcome = RunOutcome.of(run.targets)
        lines.append("outcome: \(Conformance.status(of: run.targets).rawValue) (exit \(outcome.rawValue))")
        return lines.joined(separator: "\n") + "\n"
    }

    static func targetLines(_ target: TargetResult) -> [String] {
        let levels = Tally.scoreByLevel(target.results)
            .map { "\($0.level.rawValue) \($0.score.passed)/\($0.score.total)" }.joined(separator: ", ")
        let outcome = Conformance.outcome(of: target)
        var lines = ["\(clean(target.name))\(role(target)): \(outcome.status.rawValue) (\(levels)): \(clean(Conformance.sentence(outcome)))"]
        if let infraError = target.infraError {
            lines.append("  INFRA: \(clean(infraError))")
        }
        for item in outcome.undecided where item.key != "TARGET" {
            lines.append(shortened("  to decide \(clean(item.key)): \(clean(item.note))"))
        }
        let width = (Verdict.allCases.map(\.rawValue) + ["DEVIATION"]).map(\.count).max() ?? 0
        var collapsed = 0
        for result in target.results where result.verdict != .pass {
            if target.infraError != nil, result.verdict == .infra {
                collapsed += 1
                continue
            }
            let verdict = Conformance.word(for: result).padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append(shortened("  \(verdict) \(clean(result.key)) [\(result.level.rawValue)] "
                + "\(clean(result.title)): \(clean(result.reason))"))
        }
        if collapsed > 0 { lines.append("  \(collapsed) requirement(s) not measured (INFRA)") }
        let counts = Tally.countsByWord(target.results).map { "\($0.word) \($0.count)" }
        lines.append("  verdicts: " + (counts.isEmpty ? "none" : counts.joined(separator: ", ")))
        if let basis = Tally.basisLine(target.results) { lines.append("  " + basis) }
        return lines
    }

    /// ` (system of a, b)` or ` (VM of system s)`; nothing for a single guest.
    static func role(_ target: TargetResult) -> String {
        guard let system = target.system else { return "" }
        if let vms = target.vms { return " (system of \(vms.map(clean).joined(separator: ", ")))" }
        return " (VM of system \(clean(system)))"
    }

    private static func clean(_ text: String) -> String { TextSanitizing.terminalLine(text) }

    private static func shortened(_ text: String) -> String {
        text.count > lineLimit ? String(text.prefix(lineLimit - 1)) + "…" : text
    }
}
