import AVPSModel
import Synchronization

/// What the stages of one target have collected so far, kept across the guest closure so that a
/// fault in a later stage (the agent dies mid-probe, QEMU crashes) does not discard the verdicts
/// that earlier stages already earned.
final class EvidenceSoFar: Sendable {
    private struct State {
        var identity: GuestIdentity?
        var devices: [VirtioDeviceRecord]?
        var probes: [ProbeResult] = []
        var observations: [String: FactValue] = [:]
    }

    private let state = Mutex(State())

    func set(identity: GuestIdentity) { state.withLock { $0.identity = identity } }
    func set(devices: [VirtioDeviceRecord]) { state.withLock { $0.devices = devices } }
    func append(_ probe: ProbeResult) { state.withLock { $0.probes.append(probe) } }

    func merge(_ observations: [String: FactValue]) {
        state.withLock { $0.observations.merge(observations) { first, _ in first } }
    }

    /// The evidence once hello and inventory have both answered; nil before that, because a
    /// target without an inventory has nothing a verdict could rest on.
    var evidence: Evidence? {
        state.withLock { state in
            guard let identity = state.identity, let devices = state.devices else { return nil }
            return Evidence(guest: identity, devices: devices, probes: state.probes,
                            hostObservations: state.observations)
        }
    }
}
