/// The outcome of scoring one requirement against one target.
///
/// The split between platform trouble and harness trouble is deliberate: a platform that fails a
/// requirement gets `fail`; a guest that never booted or an agent that never answered gets `infra`,
/// so a vendor is never blamed for the test bench, and the test bench never hides a real failure.
public enum Verdict: String, Codable, Sendable, CaseIterable, Comparable {
    case pass = "PASS"
    case fail = "FAIL"
    /// The requirement does not apply to this platform (for example: no block device is offered).
    case notApplicable = "NOT_APPLICABLE"
    /// The check could not measure what it needs (reason says why); never a pass.
    case skipped = "SKIPPED"
    /// The requirement has no machine check yet.
    case untested = "UNTESTED"
    /// The harness or a probe broke.
    case error = "ERROR"
    /// Boot, transport or host trouble: nothing was learned about the platform.
    case infra = "INFRA"
    /// Passed only on a retry.
    case flaky = "FLAKY"
    /// A known deviation with an owner and an expiry.
    case waived = "WAIVED"
    /// An optional (MAY) feature the platform does not offer: informational, never held against it.
    case notOffered = "NOT_OFFERED"
    /// Decided by a signed vendor statement, not by a measurement: never a PASS.
    case attested = "ATTESTED"

    /// Severity order used for summaries: the worst verdict of a group is its maximum.
    private var rank: Int {
        switch self {
        case .pass: 0
        case .notApplicable: 1
        case .notOffered: 2
        case .attested: 3
        case .waived: 4
        case .untested: 5
        case .skipped: 6
        case .flaky: 7
        case .fail: 8
        case .error: 9
        case .infra: 10
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}

/// RFC 2119 level of a requirement.
public enum RequirementLevel: String, Codable, Sendable, CaseIterable {
    case must = "MUST"
    case should = "SHOULD"
    case may = "MAY"
}
