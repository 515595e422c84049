import AVPSModel
import Testing

/// Whose word a verdict rests on, from the check kind and what the host corroborated.
@Suite("Verdict basis")
struct VerdictBasisTests {
    static let guest = GuestIdentity(agentVersion: "0.1.0", protocolVersion: 1, kernelRelease: "6.1", machine: "x86_64")

    @Test("host observations and host_* probe facts are host-observed; other probe facts are the guest's word")
    func observedAndReported() {
        let evidence = Evidence(guest: Self.guest, devices: [])
        #expect(VerdictBasis.of(.host(observation: "boot_to_agent_seconds", Comparison(.present)), evidence: evidence) == .hostObserved)
        #expect(VerdictBasis.of(.probe(name: "console.transfer", device: nil, fact: "host_pattern_ok", Comparison(.eq, .bool(true))),
                                evidence: evidence) == .hostObserved)
        #expect(VerdictBasis.of(.probe(name: "block.integrity", device: nil, fact: "verified", Comparison(.eq, .bool(true))),
                                evidence: evidence) == .guestReported)
    }

    @Test("device presence and offered bits are host-corroborated only when QMP checked this run's inventory")
    func corroboration() {
        let plain = Evidence(guest: Self.guest, devices: [])
        let checked = Evidence(guest: Self.guest, devices: [], hostObservations: [VerdictBasis.corroborationKey: .int(6)])
        let offered = Check.featureOffered(.deviceID(2), bit: 32)
        #expect(VerdictBasis.of(offered, evidence: plain) == .guestReported)
        #expect(VerdictBasis.of(offered, evidence: checked) == .hostCorroborated)
        #expect(VerdictBasis.of(.devicePresent(.deviceID(2)), evidence: checked) == .hostCorroborated)
        #expect(VerdictBasis.of(.featureNegotiated(.deviceID(2), bit: 32), evidence: checked) == .guestReported)
    }
}
