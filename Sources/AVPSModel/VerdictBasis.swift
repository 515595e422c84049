/// Whose word a verdict rests on, so a report can say which verdicts the host saw for itself.
///
/// The agent runs inside the platform under test: whatever it reports is the guest's word. Facts
/// the host observes itself (QMP events and host features, the host end of a console port, the
/// echo peer, the pmem backing file, stage times) cannot be written by the agent (`AgentClient`
/// refuses `host_*` probe facts; host observations are only written by the runner).
public enum VerdictBasis: String, Codable, Sendable, Equatable, CaseIterable {
    /// Decided from a fact the host observed itself.
    case hostObserved = "host-observed"
    /// Decided from the agent's inventory after the host checked it against an independent
    /// oracle (QEMU's x-query-virtio-status: device list and offered bits).
    case hostCorroborated = "host-corroborated"
    /// Decided from what the agent reported alone.
    case guestReported = "guest-reported"

    /// The basis of `check` given what the host could corroborate in `evidence`.
    public static func of(_ check: Check, evidence: Evidence) -> VerdictBasis {
        let corroborated = evidence.hostObservations[corroborationKey] != nil
        switch check {
        case .host, .hardwareVirtualization:
            return .hostObserved
        case .probe(_, _, let fact, _):
            return ProbeResult.isHostObserved(fact) ? .hostObserved : .guestReported
        case .system(let observation, _):
            // The last part names who saw it: `watchdog.host_reset_seen` is the host's (QMP), `storage.secret_found` a guest's.
            let fact = observation.split(separator: ".").last.map(String.init) ?? observation
            return ProbeResult.isHostObserved(fact) ? .hostObserved : .guestReported
        case .devicePresent, .featureOffered:
            // The device list and offered bits are what QMP corroborates.
            return corroborated ? .hostCorroborated : .guestReported
        case .featureNegotiated, .driverReady, .negotiatedSubsetOfOffered, .notLegacy, .standardTransport, .config:
            return .guestReported
        }
    }

    /// Host observation recorded when the inventory was checked against QMP.
    public static let corroborationKey = "qemu.corroborated_devices"
}
