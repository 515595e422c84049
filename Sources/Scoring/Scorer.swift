import AVPSModel
import Foundation

/// Turns a profile and the evidence of one target into one verdict per requirement. Pure: the
/// same inputs (including the day, for waivers) always give the same results, so every verdict
/// path is unit-testable.
///
/// Order of decisions for one requirement:
/// 1. `applies_if` not met -> NOT_APPLICABLE (the platform does not offer that category; a
///    requirement that does not apply is not "untested"); a condition read from a probe that did
///    not run is SKIPPED instead (see `Applicability`).
/// 2. no check -> UNTESTED.
/// 3. the check decides PASS / FAIL, or NOT_APPLICABLE / SKIPPED / ERROR where it has nothing it
///    can judge (see `CheckEvaluator`).
/// 4. a MAY requirement whose offering check (device present, feature offered) FAILs is
///    NOT_OFFERED: the optional feature is absent, which is information, never a failure (see
///    `Conformance`). A MAY requirement about the behaviour of something offered (a probe, a
///    config field) keeps its FAIL: a broken optional device is broken; it still never decides
///    conformance, which only MUST requirements do.
/// 5. a check that reads the agent's inventory is ERROR when that inventory disagreed with the
///    hypervisor's own account (QMP): a verdict must not rest on an agent the host caught out.
/// 6. a verified vendor attestation for this target turns UNTESTED or SKIPPED into ATTESTED; a
///    measured verdict always wins over it, a measured FAIL included (see `Attestations`).
/// 7. an active waiver turns anything but PASS and NOT_APPLICABLE into WAIVED, keeping the
///    underlying verdict in the reason; an expired waiver changes nothing and says so.
public enum Scorer {
    /// - Parameter attestations: this target's verified attestations, by requirement key.
    public static func score(_ profile: Profile, evidence: Evidence, attestations: [String: Attestation] = [:],
                             on day: CalendarDay = .today()) -> [RequirementResult] {
        profile.requirements.map { score($0, evidence: evidence, attestation: attestations[$0.key], on: day) }
    }

    /// Every requirement INFRA with the same reason: nothing was learned about the platform
    /// (the guest did not boot, the agent never answered), so nothing may be reported as FAIL.
    public static func infra(_ profile: Profile, reason: String) -> [RequirementResult] {
        profile.requirements.map { result(for: $0, .infra, reason) }
    }

    /// Scores what was collected before a later stage broke (the agent died mid-probe, QEMU
    /// crashed during the vsock measurement): verdicts whose inputs arrived stand, because they
    /// describe the platform; a check whose probe had not run yet, or whose host observation was
    /// not recorded yet, is INFRA naming the fault instead of SKIPPED, because the platform did
    /// not decline it — the run never got there.
    public static func score(_ profile: Profile, partialEvidence evidence: Evidence, fault: String,
                             attestations: [String: Attestation] = [:],
                             on day: CalendarDay = .today()) -> [RequirementResult] {
        profile.requirements.map { score($0, evidence: evidence, attestation: attestations[$0.key], on: day, fault: fault) }
    }

    static func score(_ requirement: Requirement, evidence: Evidence, attestation: Attestation? = nil,
                      on day: CalendarDay, fault: String? = nil) -> RequirementResult {
        var outcome = decide(requirement, evidence: evidence)
        if let id = requirement.check?.selector?.deviceID,
           case .string(let why)? = evidence.hostObservations[Evidence.undeclaredKey(deviceID: id)] {
            outcome = .init(verdict: .error, reason: why, evidence: [outcome.reason])
        }
        if let check = requirement.check, check.readsInventory, evidence.hostObservations[VerdictBasis.disagreementKey] != nil {
            outcome = .init(verdict: .error,
                            reason: "Not judged: the agent's inventory disagrees with QEMU's own account of its devices (see the inventory_corroborated self-check).",
                            evidence: [outcome.reason])
        }
        if let fault, outcome.verdict == .skipped, lacksInput(requirement, evidence) {
            outcome = .init(verdict: .infra, reason: "Not measured: \(fault)", evidence: [outcome.reason])
        }
        if requirement.level == .may, outcome.verdict == .fail, requirement.check?.isAboutOffering == true {
            outcome = .init(verdict: .notOffered, reason: "Optional (MAY) feature not offered: \(outcome.reason)",
                            evidence: outcome.evidence)
        }
        var attested: Attestation?
        if let attestation {
            let applied = Attestations.apply(attestation, to: outcome, on: day)
            outcome = applied.outcome
            if applied.applied { attested = attestation }
        }
        if let waiver = requirement.waiver {
            outcome = Waivers.apply(waiver, to: outcome, on: day)
        }
        if let change = requirement.levelChange {
            outcome.evidence.append("level \(requirement.level.rawValue) (was \(change.from.rawValue), changed by \(change.changedBy): \(change.reason))")
        }
        if !requirement.normative {
            outcome.evidence.append("non-normative key figure: reported, never decides the exit code")
        }
        var scored = result(for: requirement, outcome.verdict, outcome.reason, outcome.evidence)
        if let check = requirement.check, [.pass, .fail].contains(outcome.verdict) {
            scored.basis = VerdictBasis.of(check, evidence: evidence)
        }
        scored.justification = requirement.justification
        scored.attestation = scored.verdict == .attested ? attested : nil
        return scored
    }

    static func decide(_ requirement: Requirement, evidence: Evidence) -> CheckEvaluator.Outcome {
        if let condition = requirement.appliesIf {
            switch Applicability.of(condition, evidence) {
            case .applies: break
            case .notApplicable(let reason, let lines): return .init(verdict: .notApplicable, reason: reason, evidence: lines)
            case .undecided(let verdict, let reason, let lines): return .init(verdict: verdict, reason: reason, evidence: lines)
            }
        }
        guard let check = requirement.check else {
            return .init(verdict: .untested, reason: Conformance.noCheckReason, evidence: [])
        }
        return CheckEvaluator.evaluate(check, evidence: evidence)
    }

    /// True when the requirement needs a probe run or host observation that the evidence does not
    /// hold (in its condition or its check). An observation whose absence the host explained (a
    /// destructive test that was not enabled) is not missing input.
    static func lacksInput(_ requirement: Requirement, _ evidence: Evidence) -> Bool {
        if let condition = requirement.appliesIf, Applicability.lacksInput(condition, evidence) { return true }
        switch requirement.check {
        case .probe(let name, _, _, _)?: return !evidence.probes.contains { $0.name == name }
        case .host(let observation, _)?, .system(let observation, _)?:
            return evidence.hostObservations[observation] == nil
                && evidence.hostObservations[Evidence.notRecordedKey(observation)] == nil
        default: return false
        }
    }

    static func result(for requirement: Requirement, _ verdict: Verdict, _ reason: String,
                       _ evidence: [String] = []) -> RequirementResult {
        RequirementResult(key: requirement.key, title: requirement.title, chapter: requirement.chapter,
                          category: requirement.category, level: requirement.level, verdict: verdict,
                          reason: reason, evidence: evidence, normative: requirement.normative ? nil : false)
    }
}
