/// Why a probe that ran (`ok`) has no value for a fact: three reserved string facts say whose
/// side the gap is on (PROTOCOL.md 6.3, "Facts a probe could not measure").
extension ProbeResult {
    /// The device failed an operation the fact needed (`"write at 1048576: EIO (Input/output
    /// error)"`, `"no data within 3 s"`): the platform's failure.
    public static let faultFact = "fault"
    /// The device does not offer what the fact measures (a disk that offers read-only has no
    /// write results): the requirement does not apply to this device.
    public static let notApplicableFact = "not_applicable"
    /// The probe could not measure the fact for a reason that blames neither the device nor the
    /// harness (too few random bytes to judge their quality).
    public static let unmeasuredFact = "unmeasured"

    /// Why `fact` is missing from this run, judged from the reserved facts; nil when the probe
    /// gives no reason (then the harness and the agent disagree).
    public func gap(for fact: String) -> Gap? {
        guard facts[fact] == nil else { return nil }
        // The two specific reasons first: a probe that says a fact does not apply, or could not
        // be measured, said so about the facts it left out; `fault` covers everything else.
        if case .string(let why)? = facts[Self.notApplicableFact] { return .notApplicable(why) }
        if case .string(let why)? = facts[Self.unmeasuredFact] { return .unmeasured(why) }
        if case .string(let why)? = facts[Self.faultFact] { return .fault(why) }
        return nil
    }

    public enum Gap: Sendable, Equatable {
        case fault(String)
        case notApplicable(String)
        case unmeasured(String)
    }

    /// String facts naming a failed operation (`write_error`, `flush_error`, ...), as
    /// `key: text`, sorted: they say why a measured value is bad.
    public var errorFacts: [String] {
        facts.keys.filter { $0.hasSuffix("_error") || $0 == Self.faultFact }.sorted().compactMap { key in
            guard case .string(let text)? = facts[key] else { return nil }
            return "\(key): \(text)"
        }
    }
}
