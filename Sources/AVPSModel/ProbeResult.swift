/// The outcome of one behavioural probe in the guest (block integrity, rng rate, ...).
/// The agent measures; the host decides pass or fail from `facts`.
public struct ProbeResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The probe ran; `facts` hold what it measured.
        case ok
        /// The probe could not run here (no driver, no device node); `reason` says why.
        case unavailable
        /// The probe broke; `reason` says how.
        case error
    }

    /// Probe name, e.g. `block.integrity`, `entropy.rate`.
    public var name: String
    /// Kernel name of the device probed (`virtio2`), when the probe is about one device.
    public var device: String?
    public var status: Status
    public var facts: [String: FactValue]
    public var reason: String?

    /// Facts the host adds to a probe from its own side of the data path (`host_bytes_received`,
    /// `host_pattern_ok`, `host_backing_files`) start with this; every other fact is the guest's
    /// word. The agent client refuses agent answers that carry them.
    public static let hostFactPrefix = "host_"

    public static func isHostObserved(_ fact: String) -> Bool { fact.hasPrefix(hostFactPrefix) }

    /// The fact in which the host states its own view of the guest's `fact` (`verified` ->
    /// `host_verified`: the pattern the guest claims to have written, found by the host in the
    /// disk image); nil for a fact that is already the host's.
    public static func hostView(of fact: String) -> String? {
        isHostObserved(fact) ? nil : hostFactPrefix + fact
    }

    /// True when this run carries the host's view of `fact`, so a verdict on it does not rest on
    /// the guest's word alone.
    public func isCorroborated(_ fact: String) -> Bool {
        guard let view = Self.hostView(of: fact) else { return false }
        return facts[view] != nil
    }

    public init(name: String, device: String?, status: Status, facts: [String: FactValue], reason: String? = nil) {
        self.name = name
        self.device = device
        self.status = status
        self.facts = facts
        self.reason = reason
    }
}
