import AVPSModel

/// Scoring a system of several guests: requirements about the pair (a `system` check) are decided
/// once, in the system's own result, from what the run observed between the VMs; every other
/// requirement belongs to each VM's own result. A requirement is in exactly one of the two, so
/// no verdict is counted twice and none is lost.
extension Scorer {
    /// The system-scoped requirements of `profile`, judged from the system's observations.
    /// - Parameter fault: set when a stage of the system broke (a VM never booted): a requirement
    ///   whose observation was not recorded is INFRA naming it, never SKIPPED.
    public static func scoreSystem(_ profile: Profile, system: String, observations: [String: FactValue],
                                   fault: String? = nil, on day: CalendarDay = .today()) -> [RequirementResult] {
        var facts = observations
        facts[Evidence.systemScopeKey] = .string(system)
        let evidence = Evidence(guest: GuestIdentity(agentVersion: "", protocolVersion: 0, kernelRelease: "", machine: ""),
                                devices: [], hostObservations: facts)
        return profile.requirements.filter(\.isSystemScoped).map { score($0, evidence: evidence, on: day, fault: fault) }
    }

    /// A VM's share of a system's results: everything but the system-scoped requirements.
    public static func memberResults(_ results: [RequirementResult], profile: Profile) -> [RequirementResult] {
        let systemKeys = Set(profile.requirements.filter(\.isSystemScoped).map(\.key))
        return results.filter { !systemKeys.contains($0.key) }
    }
}

extension Requirement {
    /// True when a system of two or more VMs decides this requirement (a `system` check).
    public var isSystemScoped: Bool { check?.isSystemScoped ?? false }
}

extension CheckEvaluator {
    /// A system observation satisfies the comparison; missing is SKIPPED with the run's reason.
    static func system(_ observation: String, _ comparison: Comparison, observations: [String: FactValue]) -> Outcome {
        guard let value = observations[observation] else {
            var why = ""
            if case .string(let text)? = observations[Evidence.notRecordedKey(observation)] { why = ": \(text)" }
            return Outcome(verdict: .skipped, reason: "The system run did not measure \(observation)\(why).", evidence: [])
        }
        let line = "system: \(observation) = \(value)"
        let details = observations.keys.filter { $0.hasPrefix(observation + ".") }.sorted()
            .compactMap { key in observations[key].map { "system: \(key) = \($0)" } }
        switch ComparisonEvaluator.evaluate(value, comparison) {
        case .holds:
            return Outcome(verdict: .pass, reason: "Measured between the VMs: \(observation) = \(value) (\(comparison)).",
                           evidence: [line] + details)
        case .violated:
            return Outcome(verdict: .fail, reason: "Measured between the VMs: \(observation) = \(value); expected \(comparison).",
                           evidence: [line] + details)
        case .incomparable(let why):
            return Outcome(verdict: .error, reason: "System observation \(observation): \(why).", evidence: [line])
        }
    }
}
