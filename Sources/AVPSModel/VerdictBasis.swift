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
    /// oracle (QEMU's x-query-virtio-status: device list and offered bits), or from a probe fact
    /// the host checked at its own end of the data path (`host_<fact>`: the pattern in the disk
    /// image or pmem file, the file in the 9p share, the echo peer's datagram count).
    case hostCorroborated = "host-corroborated"
    /// Decided from what the agent reported alone.
    case guestReported = "guest-reported"

    /// The basis of `check` given what the host could corroborate in `evidence`.
    public static func of(_ check: Check, evidence: Evidence) -> VerdictBasis {
        let corroborated = evidence.hostObservations[corroborationKey] != nil
        switch check {
        case .host, .hardwareVirtualization, .inventoryCorroborated:
            return .hostObserved
        case .probe(let name, let selector, let fact, _):
            if ProbeResult.isHostObserved(fact) { return .hostObserved }
            // Corroborated when every run that reported the fact also carries the host's view of it.
            let runs = evidence.probes.filter { run in
                run.name == name && run.status == .ok && run.facts[fact] != nil
                    && (selector.map { selector in evidence.devices.contains { $0.name == run.device && selector.matches($0) } } ?? true)
            }
            return !runs.isEmpty && runs.allSatisfy { $0.isCorroborated(fact) } ? .hostCorroborated : .guestReported
        case .system(let observation, _):
            // The last part names who saw it: `watchdog.host_reset_seen` is the host's (QMP), `storage.secret_found` a guest's.
            let fact = observation.split(separator: ".").last.map(String.init) ?? observation
            return ProbeResult.isHostObserved(fact) ? .hostObserved : .guestReported
        case .devicePresent, .featureOffered:
            // The device list and offered bits are what QMP corroborates.
            return corroborated ? .hostCorroborated : .guestReported
        case .featureNegotiated, .driverReady, .negotiatedSubsetOfOffered, .notLegacy, .standardTransport, .config,
             .pciModernCapabilities, .legacyInterface, .mmioVersion, .definedFeatureWords:
            return .guestReported
        }
    }

    /// Host observation recorded when the inventory was checked against QMP.
    public static let corroborationKey = "qemu.corroborated_devices"
    /// Host observation recorded when it disagreed: a list of texts, each naming both values.
    public static let disagreementKey = "qemu.inventory_disagreements"
    /// Host observation recorded when QEMU could not be asked (the error).
    public static let unavailableKey = "qemu.virtio_status_unavailable"
}
