import AVPSModel
import Scoring
import Testing

/// AVPS2-SELF-01: the agent's inventory against QEMU's own account. A disagreement is the
/// harness's ERROR naming both values, and no verdict is read from that inventory.
@Suite("inventory self-check against QMP")
struct SelfCheckTests {
    private let selfCheck = Check.inventoryCorroborated
    private let present = Check.devicePresent(.deviceID(Make.block))

    private func evidence(_ observations: [String: FactValue]) -> Evidence {
        var evidence = Make.evidence(Make.device("virtio1", id: Make.block))
        evidence.hostObservations = observations
        return evidence
    }

    @Test func disagreementIsErrorNamingBothValuesAndVoidsInventoryVerdicts() throws {
        let lie = evidence([VerdictBasis.disagreementKey: .list([.string("device ids: the agent reports [2, 3], QEMU's x-query-virtio lists [3, 4]")])])
        let row = try #require(Make.score(selfCheck, lie))
        #expect(row.verdict == .error && row.basis == nil)
        #expect(row.reason.contains("the agent reports [2, 3], QEMU's x-query-virtio lists [3, 4]"), "\(row.reason)")
        let presence = try #require(Make.score(present, lie))
        #expect(presence.verdict == .error && presence.reason.contains("inventory disagrees with QEMU"), "\(presence.reason)")
        // A probe fact is not read from the inventory: it is judged as before.
        var measured = lie
        measured.probes = [ProbeResult(name: "block.integrity", device: "virtio1", status: .ok, facts: ["verified": .bool(true)])]
        let probe = Check.probe(name: "block.integrity", device: .deviceID(Make.block), fact: "verified", Comparison(.eq, .bool(true)))
        #expect(Make.score(probe, measured)?.verdict == .pass)
    }

    @Test func agreementPassesAsAHostObservation() throws {
        let row = try #require(Make.score(selfCheck, evidence([VerdictBasis.corroborationKey: .int(3)])))
        #expect(row.verdict == .pass && row.basis == .hostObserved, "\(row.reason)")
        #expect(Make.score(present, evidence([VerdictBasis.corroborationKey: .int(3)]))?.verdict == .pass)
    }

    @Test func noOracleIsNotApplicableAndAnOracleThatFailedIsSkipped() {
        #expect(Make.score(selfCheck, evidence([:]))?.verdict == .notApplicable)
        #expect(Make.score(selfCheck, evidence([VerdictBasis.unavailableKey: .string("QMP timed out")]))?.verdict == .skipped)
    }
}
