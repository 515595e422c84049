import AVPSModel
import Scoring
import Testing

/// A probe fact beside the host's own view of it (`host_<fact>`, added where the host holds the
/// other end of the data path): agreement is a host-corroborated verdict, a guest claim the host
/// did not see FAILs naming both sides, and a run without a host view stays the guest's word.
@Suite("host view of a probe fact")
struct HostViewTests {
    private let verified = Check.probe(name: "block.integrity", device: .deviceID(Make.block), fact: "verified", Comparison(.eq, .bool(true)))
    private let lost = Check.probe(name: "net.udp_echo", device: .deviceID(Make.net), fact: "lost", Comparison(.eq, .int(0)))

    private func evidence(_ runs: ProbeResult...) -> Evidence {
        var evidence = Make.evidence(Make.device("virtio1", id: Make.block), Make.device("virtio2", id: Make.block),
                                     Make.device("virtio3", id: Make.net))
        evidence.probes = runs
        return evidence
    }

    private func block(_ device: String, _ facts: [String: FactValue]) -> ProbeResult {
        ProbeResult(name: "block.integrity", device: device, status: .ok, facts: facts)
    }

    @Test func agreementIsAHostCorroboratedPass() throws {
        let result = try #require(Make.score(verified, evidence(block("virtio1", ["verified": .bool(true), "host_verified": .bool(true)]))))
        #expect(result.verdict == .pass && result.basis == .hostCorroborated, "\(result.verdict) \(String(describing: result.basis))")
    }

    @Test func aClaimTheHostDidNotSeeFailsNamingBothSides() throws {
        let liar = block("virtio1", ["verified": .bool(true), "host_verified": .bool(false),
                                     "host_error": .string("no disk image this host holds (disk0.raw) has the 3145728-byte pattern at offset 1048576")])
        let result = try #require(Make.score(verified, evidence(liar)))
        #expect(result.verdict == .fail && result.basis == .hostCorroborated)
        #expect(result.reason.contains("verified = true on virtio1 as the guest claimed, but the host saw host_verified = false (no disk image this host holds"),
                "\(result.reason)")
    }

    @Test func theGuestsOwnFailureStandsWhateverTheHostSaw() throws {
        let readBroken = block("virtio1", ["verified": .bool(false), "host_verified": .bool(true),
                                           "read_error": .string("read at 1048576: EIO")])
        let result = try #require(Make.score(verified, evidence(readBroken)))
        #expect(result.verdict == .fail && result.reason.contains("read at 1048576: EIO"), "\(result.reason)")
    }

    @Test func oneRunWithoutAHostViewLeavesTheVerdictOnTheGuestsWord() throws {
        let result = try #require(Make.score(verified, evidence(block("virtio1", ["verified": .bool(true), "host_verified": .bool(true)]),
                                                                block("virtio2", ["verified": .bool(true)]))))
        #expect(result.verdict == .pass && result.basis == .guestReported)
    }

    @Test func theEchoPeersCountDecidesLoss() throws {
        let claimed = ProbeResult(name: "net.udp_echo", device: "virtio3", status: .ok,
                                  facts: ["lost": .int(0), "host_lost": .int(20), "host_error": .string("the host's echo peer received 0 of the 20 datagrams")])
        let result = try #require(Make.score(lost, evidence(claimed)))
        #expect(result.verdict == .fail && result.reason.contains("lost = 0 on virtio3 as the guest claimed, but the host saw host_lost = 20 (the host's echo peer received 0 of the 20 datagrams)"),
                "\(result.reason)")
        let honest = ProbeResult(name: "net.udp_echo", device: "virtio3", status: .ok, facts: ["lost": .int(0), "host_lost": .int(0)])
        #expect(Make.score(lost, evidence(honest))?.basis == .hostCorroborated)
    }

    @Test func aHostViewOfTheWrongTypeIsAHarnessError() throws {
        let odd = block("virtio1", ["verified": .bool(true), "host_verified": .string("yes")])
        #expect(Make.score(verified, evidence(odd))?.verdict == .error)
    }
}
