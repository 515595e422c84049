import AVPSModel

/// How a verified vendor attestation changes a verdict. The rule, in one place:
///
/// - it decides only what no machine decided: UNTESTED (no check exists) and SKIPPED (the check
///   could not measure on this platform) become ATTESTED, keeping the underlying verdict in the
///   reason;
/// - a measurement wins: PASS, FLAKY, NOT_APPLICABLE and NOT_OFFERED stay, and a measured FAIL is
///   never overridden (the reason says that a statement disagreed with the measurement);
/// - ERROR and INFRA stay: they say the harness or the test bench broke, which a statement about
///   the platform cannot mend;
/// - an expired attestation changes nothing and says so.
enum Attestations {
    static func apply(_ attestation: Attestation, to outcome: CheckEvaluator.Outcome, on day: CalendarDay)
        -> (outcome: CheckEvaluator.Outcome, applied: Bool) {
        var result = outcome
        let who = "attestation by \(attestation.byline) (\(attestation.file), signer \(attestation.signer.prefix(16))…)"
        guard attestation.isActive(on: day) else {
            result.reason += " The \(who) expired on \(attestation.expires) and no longer counts; renew and re-sign it."
            result.evidence.append("expired \(who): \(attestation.statement)")
            return (result, false)
        }
        switch outcome.verdict {
        case .untested, .skipped:
            result.verdict = .attested
            result.reason = "Attested by \(attestation.byline), until \(attestation.expires): \(attestation.statement) "
                + "(evidence: \(attestation.evidence); not measured: \(outcome.verdict.rawValue): \(outcome.reason))"
            result.evidence.append("\(who), expires \(attestation.expires)")
            return (result, true)
        case .fail:
            result.reason += " (An \(who) states otherwise; a measured FAIL is never overridden by an attestation.)"
            result.evidence.append("\(who) not applied: the measurement decided FAIL")
            return (result, false)
        case .error, .infra:
            result.evidence.append("\(who) not applied: \(outcome.verdict.rawValue) means the run broke; fix it and rerun")
            return (result, false)
        case .pass, .flaky, .notApplicable, .notOffered, .waived, .attested:
            result.evidence.append("\(who) not needed: the verdict was measured")
            return (result, false)
        }
    }
}
