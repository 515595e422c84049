import AVPSModel

/// Turns a profile and the evidence of one target into one verdict per requirement. Pure: the
/// same inputs always give the same results, so every verdict path is unit-testable.
///
/// Order of decisions for one requirement:
/// 1. `applies_if` not met -> NOT_APPLICABLE (the platform does not offer that category; a
///    requirement that does not apply is not "untested").
/// 2. no check -> UNTESTED.
/// 3. the check decides PASS / FAIL, or NOT_APPLICABLE / SKIPPED where it has nothing it can
///    judge (see `CheckEvaluator`).
public enum Scorer {
    public static func score(_ profile: Profile, evidence: Evidence) -> [RequirementResult] {
        profile.requirements.map { score($0, evidence: evidence) }
    }

    /// Every requirement INFRA with the same reason: nothing was learned about the platform
    /// (the guest did not boot, the agent never answered), so nothing may be reported as FAIL.
    public static func infra(_ profile: Profile, reason: String) -> [RequirementResult] {
        profile.requirements.map { result(for: $0, .infra, reason) }
    }

    static func score(_ requirement: Requirement, evidence: Evidence) -> RequirementResult {
        if let condition = requirement.appliesIf, let unmet = unmetReason(condition, evidence.devices) {
            return result(for: requirement, .notApplicable, unmet)
        }
        guard let check = requirement.check else {
            return result(for: requirement, .untested, "No machine check exists for this requirement yet.")
        }
        let outcome = CheckEvaluator.evaluate(check, devices: evidence.devices)
        return result(for: requirement, outcome.verdict, outcome.reason, outcome.evidence)
    }

    /// nil when the condition holds; otherwise why the requirement does not apply.
    static func unmetReason(_ condition: Condition, _ devices: [VirtioDeviceRecord]) -> String? {
        switch condition {
        case .devicePresent(let selector):
            devices.contains(where: selector.matches) ? nil : "\(DeviceText.noneOffered(selector)), so this requirement does not apply."
        }
    }

    static func result(for requirement: Requirement, _ verdict: Verdict, _ reason: String,
                       _ evidence: [String] = []) -> RequirementResult {
        RequirementResult(key: requirement.key, title: requirement.title, chapter: requirement.chapter,
                          category: requirement.category, level: requirement.level, verdict: verdict,
                          reason: reason, evidence: evidence)
    }
}
