import AVPSModel

/// Counting rules shared by every report, so the HTML page, the text summary and JUnit never
/// disagree about what "passed" means.
enum Tally {
    /// Verdicts that count as a pass in scores. FLAKY passed on retry: it is a pass that a person
    /// should look at, and it is flagged wherever it appears.
    static let passing: Set<Verdict> = [.pass, .flaky]

    /// Verdicts JUnit and people read as "not run": nothing was measured against the platform,
    /// and nothing is held against it.
    static let skippedLike: Set<Verdict> = [.notApplicable, .skipped, .untested, .waived]

    /// Passed and total requirements of one level. NOT_APPLICABLE and NOT_OFFERED requirements are
    /// left out of the total: a platform is not scored on something it does not offer.
    struct Score: Equatable, Sendable {
        var passed = 0
        var total = 0
    }

    static func scoreByLevel(_ results: [RequirementResult]) -> [(level: RequirementLevel, score: Score)] {
        RequirementLevel.allCases.map { level in
            var score = Score()
            for result in results where result.level == level && ![.notApplicable, .notOffered].contains(result.verdict)
                && Conformance.role(of: result) != .notOffered {
                score.total += 1
                if passing.contains(result.verdict) { score.passed += 1 }
            }
            return (level, score)
        }
    }

    /// Non-zero counts per shown word (`Conformance.word`: a SHOULD miss counts as DEVIATION, an
    /// absent MAY feature as NOT_OFFERED), in severity order (worst last) so lists read the same everywhere.
    static func countsByWord(_ results: [RequirementResult]) -> [(word: String, count: Int)] {
        let order = Verdict.allCases.sorted().map(\.rawValue).flatMap { $0 == Verdict.fail.rawValue ? ["DEVIATION", $0] : [$0] }
        return order.compactMap { word in
            let count = results.count { Conformance.word(for: $0) == word }
            return count > 0 ? (word, count) : nil
        }
    }

    /// Whose word the PASS and FAIL verdicts rest on, strongest first; nil when no result says
    /// (results.json written before the basis existed).
    static func basisLine(_ results: [RequirementResult]) -> String? {
        let counts = VerdictBasis.allCases.compactMap { basis -> String? in
            let count = results.count { $0.basis == basis }
            return count > 0 ? "\(count) \(basis.rawValue)" : nil
        }
        guard !counts.isEmpty else { return nil }
        let alone = results.count { $0.basis == .guestReported }
        return "PASS/FAIL rest on: " + counts.joined(separator: ", ")
            + (alone > 0 ? " (\(alone) on the guest's word alone)" : "")
    }

    /// Categories in the order they first appear (profile order), with their results.
    static func byCategory(_ results: [RequirementResult]) -> [(category: String, results: [RequirementResult])] {
        var order: [String] = []
        var groups: [String: [RequirementResult]] = [:]
        for result in results {
            if groups[result.category] == nil { order.append(result.category) }
            groups[result.category, default: []].append(result)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }

    /// The first line of every report: the run's conformance status, its exit code and, per
    /// target, what was proven, attested and what is missing (`Conformance.sentence`).
    static func outcomeLine(_ targets: [TargetResult]) -> String {
        let status = Conformance.status(of: targets)
        let code = RunOutcome.of(targets).rawValue
        let perTarget = targets.map { target in
            let outcome = Conformance.outcome(of: target)
            return "\(target.name): \(outcome.status.rawValue) (\(Conformance.sentence(outcome)))"
        }
        let body = perTarget.isEmpty ? "no target was run" : perTarget.joined(separator: "; ")
        return "\(status.rawValue) (exit \(code)): \(body)"
    }

    /// CSS class of a conformance status badge.
    static func cssClass(_ status: Conformance.Status) -> String {
        switch status {
        case .conformant: "o-conformant"
        case .notConformant: "o-not-conformant"
        case .incomplete: "o-incomplete"
        }
    }
}
