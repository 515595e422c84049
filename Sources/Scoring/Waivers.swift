import AVPSModel

/// How an overlay's waiver changes a verdict.
///
/// Only verdicts that would count against the platform or hide a gap are waived (FAIL, ERROR,
/// SKIPPED, UNTESTED, FLAKY): a PASS, NOT_APPLICABLE, NOT_OFFERED or ATTESTED stays as it is, with a note that the
/// waiver was not needed, so a stale waiver is visible instead of masking good news. INFRA is
/// never waived: it says nothing about the platform.
enum Waivers {
    static func apply(_ waiver: Waiver, to outcome: CheckEvaluator.Outcome, on day: CalendarDay) -> CheckEvaluator.Outcome {
        var result = outcome
        let who = "waiver by \(waiver.owner) (\(waiver.grantedBy))"
        guard waiver.isActive(on: day) else {
            result.reason += " The \(who) expired on \(waiver.expires) and no longer applies."
            result.evidence.append("expired \(who), expired \(waiver.expires): \(waiver.reason)")
            return result
        }
        switch outcome.verdict {
        case .pass, .notApplicable, .notOffered, .attested, .infra:
            result.evidence.append("\(who) until \(waiver.expires) not needed: \(waiver.reason)")
            return result
        default:
            result.verdict = .waived
            result.reason = "Waived until \(waiver.expires) by \(waiver.owner): \(waiver.reason) "
                + "(underlying verdict \(outcome.verdict.rawValue): \(outcome.reason))"
            result.evidence.append("\(who), expires \(waiver.expires)")
            return result
        }
    }
}
