/// What a run proves about a platform, decided in one place so every report (text summary,
/// HTML, JUnit, results.json, matrix, diff, bundle) says the same thing.
///
/// The rule follows RFC 2119 and AVPS's split between optional features and optional
/// requirements (AVPS 1.0 §2.2.1 heading; the drafts' "if the platform offers X, it shall …"):
/// - MUST decides conformance. It is decided by PASS (FLAKY: passed on retry), NOT_APPLICABLE
///   (the feature is not offered, reason given), WAIVED or ATTESTED; a FAIL makes the target NOT
///   CONFORMANT; UNTESTED, SKIPPED, ERROR or INFRA leave it INCOMPLETE.
/// - SHOULD never decides it: a FAIL is a deviation, justified or not.
/// - MAY never decides it: an absent optional feature is NOT_OFFERED, informational.
/// - Non-normative key figures never decide it.
public enum Conformance {
    /// The outcome of one target or one run.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case conformant = "CONFORMANT"
        case notConformant = "NOT CONFORMANT"
        case incomplete = "INCOMPLETE"
    }

    /// How one requirement result counts.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// A MUST decided in the platform's favour (PASS, FLAKY, NOT_APPLICABLE, WAIVED, ATTESTED).
        case decided
        /// A MUST that FAILed: the target is NOT CONFORMANT.
        case mustFailure = "must-failure"
        /// A MUST nobody could decide (UNTESTED, SKIPPED, ERROR, INFRA): the target is INCOMPLETE.
        case undecided
        /// A SHOULD that FAILed without a justification.
        case deviation
        /// A SHOULD that FAILed, with a vendor's justification (owner and reason).
        case justifiedDeviation = "justified-deviation"
        /// A MAY whose optional feature is absent.
        case notOffered = "not-offered"
        /// Anything else: SHOULD/MAY results that are met or not decided, non-normative figures.
        case informational
    }

    /// The role of one result.
    public static func role(of result: RequirementResult) -> Role {
        if result.normative == false { return .informational }
        switch result.level {
        case .must:
            switch result.verdict {
            case .pass, .flaky, .notApplicable, .waived, .attested: return .decided
            case .fail: return .mustFailure
            case .untested, .skipped, .error, .infra: return .undecided
            case .notOffered: return .decided
            }
        case .should:
            guard result.verdict == .fail else { return .informational }
            return result.justification == nil ? .deviation : .justifiedDeviation
        case .may:
            // An absent optional feature is NOT_OFFERED (Scorer); an offered one that misbehaves
            // keeps its FAIL, which is information too: a MAY never decides conformance.
            return result.verdict == .notOffered ? .notOffered : .informational
        }
    }

    /// The word a report shows for a result: the verdict, except that a SHOULD miss reads
    /// DEVIATION and an absent MAY feature reads NOT_OFFERED.
    public static func word(for result: RequirementResult) -> String {
        switch role(of: result) {
        case .deviation, .justifiedDeviation: "DEVIATION"
        case .notOffered: Verdict.notOffered.rawValue
        default: result.verdict.rawValue
        }
    }

    /// One requirement named in an outcome, with the sentence a person acts on.
    public struct Item: Codable, Sendable, Equatable {
        public var key: String
        public var title: String
        public var verdict: Verdict
        /// For an undecided MUST: what would decide it; otherwise the result's reason.
        public var note: String

        public init(key: String, title: String, verdict: Verdict, note: String) {
            self.key = key
            self.title = title
            self.verdict = verdict
            self.note = note
        }
    }

    /// The outcome of one target, with every requirement it rests on named.
    public struct TargetOutcome: Codable, Sendable, Equatable {
        public var status: Status
        /// MUST requirements that FAILed (first: they are why the target is NOT CONFORMANT).
        public var mustFailures: [Item]
        /// MUST requirements nobody could decide, each with what would decide it; a target whose
        /// run broke is named here as `TARGET`.
        public var undecided: [Item]
        public var deviations: [Item]
        public var justifiedDeviations: [Item]
        public var notOffered: [Item]
        public var attested: [Item]
        public var waived: [Item]
        /// MUST requirements decided by a measurement (PASS or FLAKY).
        public var mustPassed: Int
        /// MUST requirements that do not apply (feature not offered).
        public var mustNotApplicable: Int

        enum CodingKeys: String, CodingKey {
            case status
            case mustFailures = "must_failures"
            case undecided, deviations
            case justifiedDeviations = "justified_deviations"
            case notOffered = "not_offered"
            case attested, waived
            case mustPassed = "must_passed"
            case mustNotApplicable = "must_not_applicable"
        }
    }

    /// The outcome of one target. A target whose run broke (`infraError`) is INCOMPLETE even if
    /// every MUST was decided before the break: a certificate needs a run that finished.
    public static func outcome(of target: TargetResult) -> TargetOutcome {
        var outcome = TargetOutcome(status: .conformant, mustFailures: [], undecided: [], deviations: [],
                                    justifiedDeviations: [], notOffered: [], attested: [], waived: [],
                                    mustPassed: 0, mustNotApplicable: 0)
        if let infra = target.infraError {
            // First line only, bounded: the full message (a serial tail) is the target's infra_error;
            // this note is repeated in every report's outcome line, which is never cut.
            let line = infra.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? infra
            let brief = line.count > 200 ? String(line.prefix(199)) + "…" : line
            outcome.undecided.append(Item(key: "TARGET", title: "the target's run", verdict: .infra,
                                          note: "The run broke (\(brief)); rerun once the test bench works."))
        }
        for result in target.results {
            let item = Item(key: result.key, title: result.title, verdict: result.verdict, note: result.reason)
            switch role(of: result) {
            case .mustFailure: outcome.mustFailures.append(item)
            case .undecided:
                // A target that never booted has every requirement INFRA for the same reason: named once above.
                if target.infraError != nil, result.verdict == .infra { continue }
                outcome.undecided.append(Item(key: result.key, title: result.title, verdict: result.verdict,
                                              note: decider(for: result)))
            case .deviation: outcome.deviations.append(item)
            case .justifiedDeviation:
                let why = result.justification.map { "justified by \($0.owner): \($0.reason)" } ?? result.reason
                outcome.justifiedDeviations.append(Item(key: result.key, title: result.title, verdict: result.verdict, note: why))
            case .notOffered: outcome.notOffered.append(item)
            case .decided:
                switch result.verdict {
                case .attested: outcome.attested.append(item)
                case .waived: outcome.waived.append(item)
                case .notApplicable, .notOffered: outcome.mustNotApplicable += 1
                default: outcome.mustPassed += 1
                }
            case .informational: break
            }
        }
        if !outcome.mustFailures.isEmpty {
            outcome.status = .notConformant
        } else if !outcome.undecided.isEmpty || target.results.isEmpty {
            outcome.status = .incomplete
            if target.results.isEmpty && outcome.undecided.isEmpty {
                outcome.undecided.append(Item(key: "TARGET", title: "the target's run", verdict: .untested,
                                              note: "No requirement was scored; run it against a profile."))
            }
        }
        return outcome
    }

    /// The reason of a requirement that has no check (`Scorer`); anything after it (an expired
    /// attestation) is news the decider repeats.
    public static let noCheckReason = "No machine check exists for this requirement yet."

    /// What would decide an undecided MUST, in one sentence.
    static func decider(for result: RequirementResult) -> String {
        switch result.verdict {
        case .untested:
            "No machine check exists yet: it needs one in avps, a signed vendor attestation (avps run --attestation), "
                + "or a waiver (owner, expiry, reason) in a vendor overlay (\(result.key))."
                + (result.reason.hasPrefix(noCheckReason) ? result.reason.dropFirst(noCheckReason.count) : " " + result.reason)
        case .skipped: "Could not be measured (\(result.reason)); rerun where the check can measure, or attest it where no machine can."
        case .error: "The harness or a probe broke (\(result.reason)); fix it and rerun."
        case .infra: "Not measured because of test-bench trouble (\(result.reason)); rerun."
        default: result.reason
        }
    }

    /// The outcome of a run: NOT CONFORMANT if any target is, else INCOMPLETE if any target is
    /// (or there is none), else CONFORMANT.
    public static func status(of targets: [TargetResult]) -> Status {
        let statuses = targets.map { outcome(of: $0).status }
        if statuses.contains(.notConformant) { return .notConformant }
        if statuses.isEmpty || statuses.contains(.incomplete) { return .incomplete }
        return .conformant
    }

    /// One sentence for a target saying exactly what was proven, attested and missing: every MUST
    /// requirement is counted in one of failed, missing, proven (measured: passed or not
    /// applicable), attested or waived, and each group names its keys (proven only counts them).
    /// A failure comes first, then what is missing, so the reason for the status leads.
    public static func sentence(_ outcome: TargetOutcome) -> String {
        var parts: [String] = []
        if !outcome.mustFailures.isEmpty {
            parts.append("failed \(outcome.mustFailures.count) MUST: " + names(outcome.mustFailures))
        }
        let missing = outcome.undecided.filter { $0.key != "TARGET" }
        if let broken = outcome.undecided.first(where: { $0.key == "TARGET" }) {
            parts.append("missing: the whole target (\(broken.verdict.rawValue): \(broken.note))")
        }
        if !missing.isEmpty {
            parts.append("missing \(missing.count) MUST: " + missing.map { "\($0.key) (\($0.verdict.rawValue))" }.joined(separator: ", "))
        }
        if outcome.status == .conformant { parts.append("every MUST requirement decided") }
        parts.append("proven \(outcome.mustPassed + outcome.mustNotApplicable) MUST: \(outcome.mustPassed) passed, "
                     + "\(outcome.mustNotApplicable) not applicable")
        parts.append(outcome.attested.isEmpty ? "attested 0 MUST" : "attested \(outcome.attested.count) MUST: " + names(outcome.attested))
        if !outcome.waived.isEmpty { parts.append("waived \(outcome.waived.count) MUST: " + names(outcome.waived)) }
        let deviations = outcome.deviations.count + outcome.justifiedDeviations.count
        if deviations > 0 { parts.append("\(deviations) SHOULD deviation(s), \(outcome.justifiedDeviations.count) justified") }
        if !outcome.notOffered.isEmpty { parts.append("\(outcome.notOffered.count) optional (MAY) feature(s) not offered") }
        return parts.joined(separator: "; ")
    }

    private static func names(_ items: [Item]) -> String { items.map(\.key).joined(separator: ", ") }
}
