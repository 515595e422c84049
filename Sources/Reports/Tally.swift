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

    /// Passed and total requirements of one level. NOT_APPLICABLE requirements are left out of
    /// the total: a platform is not scored on something that does not concern it.
    struct Score: Equatable, Sendable {
        var passed = 0
        var total = 0
    }

    static func scoreByLevel(_ results: [RequirementResult]) -> [(level: RequirementLevel, score: Score)] {
        RequirementLevel.allCases.map { level in
            var score = Score()
            for result in results where result.level == level && result.verdict != .notApplicable {
                score.total += 1
                if passing.contains(result.verdict) { score.passed += 1 }
            }
            return (level, score)
        }
    }

    /// Non-zero counts per verdict, in severity order (worst last) so lists read the same everywhere.
    static func countsByVerdict(_ results: [RequirementResult]) -> [(verdict: Verdict, count: Int)] {
        Verdict.allCases.sorted().compactMap { verdict in
            let count = results.count { $0.verdict == verdict }
            return count > 0 ? (verdict, count) : nil
        }
    }

    /// The worst verdict of a target (a SHOULD failure counts; the exit status looks at MUST only). A target that reports an infra error is INFRA whatever its
    /// results say; a target with no results and no error is UNTESTED, never PASS.
    static func worstVerdict(_ target: TargetResult) -> Verdict {
        if target.infraError != nil { return .infra }
        return target.results.map(\.verdict).max() ?? .untested
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

    /// One sentence per run outcome, for the summary line and the HTML header.
    static func describe(_ outcome: RunOutcome) -> String {
        switch outcome {
        case .allMustPass: "every MUST requirement passed or did not apply"
        case .mustFailed: "at least one MUST requirement failed"
        case .usageError: "usage error"
        case .infrastructure: "infrastructure trouble: some results could not be measured"
        }
    }

    /// Short label of an outcome, e.g. for badges.
    static func label(_ outcome: RunOutcome) -> String {
        switch outcome {
        case .allMustPass: "PASS"
        case .mustFailed: "FAIL"
        case .usageError: "USAGE"
        case .infrastructure: "INFRA"
        }
    }
}
