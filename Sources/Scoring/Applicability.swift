import AVPSModel

/// Whether a requirement's `applies_if` holds for one target.
///
/// Three answers, because a condition read from a probe can also be unknowable: the probe did not
/// run, could not run, or broke. That is never "does not apply" (the platform may well offer the
/// category); it gets the verdict a check without its input gets (SKIPPED or ERROR).
enum Applicability: Equatable {
    case applies
    /// NOT_APPLICABLE, with the reason and the evidence it rests on.
    case notApplicable(reason: String, evidence: [String])
    /// The condition cannot be judged; `verdict` is SKIPPED or ERROR.
    case undecided(verdict: Verdict, reason: String, evidence: [String])

    /// Parts of `all` are judged in order; the first that does not hold answers for the whole.
    static func of(_ condition: Condition, _ evidence: Evidence) -> Applicability {
        for part in condition.parts {
            let answer = single(part, evidence)
            if answer != .applies { return answer }
        }
        return .applies
    }

    private static func single(_ condition: Condition, _ evidence: Evidence) -> Applicability {
        switch condition {
        case .devicePresent(let selector):
            if evidence.devices.contains(where: selector.matches) { return .applies }
            if let id = selector.deviceID, case .string(let why)? = evidence.hostObservations[Evidence.withheldKey(deviceID: id)] {
                return .notApplicable(reason: withheldText("a \(selector) device", why), evidence: [])
            }
            return .notApplicable(reason: "\(DeviceText.noneOffered(selector)), so this requirement does not apply.", evidence: [])
        case .notWithheld(let kind):
            guard case .string(let why)? = evidence.hostObservations[Evidence.withheldKey(kind: kind)] else { return .applies }
            return .notApplicable(reason: withheldText("a \(kind) device", why), evidence: [])
        case .probe(let name, let fact, let comparison):
            return probe(name, fact: fact, comparison, evidence)
        case .all:
            return of(condition, evidence)
        }
    }

    static func withheldText(_ what: String, _ why: String) -> String {
        "The target asked for \(what) but the hypervisor cannot offer one (\(why)), so this requirement does not apply."
    }

    /// Applies when any run of the probe measured the fact satisfying the comparison.
    private static func probe(_ name: String, fact: String, _ comparison: Comparison, _ evidence: Evidence) -> Applicability {
        let runs = evidence.probes.filter { $0.name == name }
        let lines = runs.map(CheckEvaluator.probeLine)
        let unknown = "so whether this requirement applies cannot be told"
        guard !runs.isEmpty else {
            return .undecided(verdict: .skipped, reason: "Probe \(name) was not run, \(unknown).", evidence: [])
        }
        if let broken = runs.first(where: { $0.status == .error }) {
            return .undecided(verdict: .error, reason: "Probe \(name) broke: \(broken.reason ?? "no reason given").", evidence: lines)
        }
        let ran = runs.filter { $0.status == .ok }
        guard !ran.isEmpty else {
            let reasons = Set(runs.map { $0.reason ?? "no reason given" }).sorted().joined(separator: "; ")
            return .undecided(verdict: .skipped, reason: "Probe \(name) could not run here (\(reasons)), \(unknown).", evidence: lines)
        }
        var measured: [String] = []
        for run in ran {
            guard let value = run.facts[fact] else {
                return .undecided(verdict: .error, reason: "Probe \(name) ran but reported no fact \(fact).", evidence: lines)
            }
            switch ComparisonEvaluator.evaluate(value, comparison) {
            case .holds: return .applies
            case .incomparable(let why): return .undecided(verdict: .error, reason: "Probe \(name): \(why).", evidence: lines)
            case .violated:
                let why = run.facts[Evidence.explanationFact(for: fact)].map { " (\($0))" } ?? ""
                measured.append("\(fact) = \(value)\(why)")
            }
        }
        return .notApplicable(reason: "Probe \(name) measured \(measured.joined(separator: "; ")), not \(comparison), so this requirement does not apply.",
                              evidence: lines)
    }

    /// True when the condition needs a probe run that the evidence does not hold.
    static func lacksInput(_ condition: Condition, _ evidence: Evidence) -> Bool {
        condition.parts.contains { part in
            guard case .probe(let name, _, _) = part else { return false }
            return !evidence.probes.contains { $0.name == name }
        }
    }
}
