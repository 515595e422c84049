import AVPSModel

/// Judging the runs of a probe that ran (`ok`): who is at fault decides the verdict.
///
/// - a measured value that violates the threshold is FAIL, and the reason quotes the run's
///   error facts (`write_error: EIO ...`) so the failed operation and errno are named;
/// - a missing value with a `fault` fact is the device's failure: FAIL naming it;
/// - a missing value with `not_applicable` excludes that device (it offers read-only, say); when
///   no device is left the requirement is NOT_APPLICABLE with the probe's reason;
/// - a missing value with `unmeasured` is SKIPPED with the reason unless another run decides;
/// - a missing value without any of them is ERROR: the harness and the agent disagree;
/// - a value the guest reports that holds is checked against the host's own view of it
///   (`host_<fact>`, where the host holds the other end of the data path): when the host's view
///   violates the threshold the run FAILs naming both ("verified = true on virtio1 as the guest
///   claimed, but the host saw host_verified = false (…)").
extension CheckEvaluator {
    static func judge(_ name: String, _ ran: [ProbeResult], fact: String, _ comparison: Comparison,
                      lines: [String]) -> Outcome {
        var failures: [String] = [], notApplicable: [String] = [], unmeasured: [String] = []
        var judged = 0
        for run in ran {
            let place = run.device.map { " on \($0)" } ?? ""
            guard let value = run.facts[fact] else {
                switch run.gap(for: fact) {
                case .fault(let why)?: judged += 1; failures.append("no \(fact)\(place): the device failed (\(why))")
                case .notApplicable(let why)?: notApplicable.append("\(run.device ?? name): \(why)")
                case .unmeasured(let why)?: unmeasured.append("\(run.device ?? name): \(why)")
                case nil:
                    return Outcome(verdict: .error, reason: "Probe \(name) ran but reported no fact \(fact).", evidence: lines)
                }
                continue
            }
            judged += 1
            switch ComparisonEvaluator.evaluate(value, comparison) {
            case .holds:
                guard let view = ProbeResult.hostView(of: fact), let seen = run.facts[view] else { continue }
                switch ComparisonEvaluator.evaluate(seen, comparison) {
                case .holds: continue
                case .violated:
                    // The guest's word against the host's own look at its end of the data path.
                    let why = run.facts["host_error"].map { " (\($0))" } ?? ""
                    failures.append("\(fact) = \(value)\(place) as the guest claimed, but the host saw \(view) = \(seen)\(why)")
                case .incomparable(let why): return Outcome(verdict: .error, reason: "Probe \(name): host view \(view): \(why).", evidence: lines)
                }
            case .violated:
                let errors = run.errorFacts
                failures.append("\(fact) = \(value)\(place)" + (errors.isEmpty ? "" : " (\(errors.joined(separator: "; ")))"))
            case .incomparable(let why): return Outcome(verdict: .error, reason: "Probe \(name): \(why).", evidence: lines)
            }
        }
        let notes = (notApplicable + unmeasured).map { "not judged: \($0)" }
        guard failures.isEmpty else {
            return Outcome(verdict: .fail, reason: "Probe \(name) measured \(failures.joined(separator: ", ")); expected \(fact) \(comparison).",
                           evidence: lines + notes)
        }
        if judged > 0 {
            let note = notes.isEmpty ? "" : " (\(notes.count) device(s) not judged)"
            return Outcome(verdict: .pass, reason: "Probe \(name) measured \(fact) \(comparison)\(note).", evidence: lines + notes)
        }
        if !unmeasured.isEmpty {
            return Outcome(verdict: .skipped, reason: "Probe \(name) could not measure \(fact): \(unmeasured.joined(separator: "; ")).",
                           evidence: lines)
        }
        return Outcome(verdict: .notApplicable, reason: "Probe \(name) has nothing to judge for \(fact): \(notApplicable.joined(separator: "; ")).",
                       evidence: lines)
    }
}
