@testable import Scoring
import AVPSModel
import Testing

/// How the level shapes a verdict: an absent MAY feature is NOT_OFFERED, never FAIL; a SHOULD
/// miss keeps its FAIL and carries the overlay's justification into the result.
@Suite struct OptionalLevelTests {
    static let lifetime = Check.featureNegotiated(.deviceID(Make.block), bit: 15)
    static let evidence = Make.evidence(Make.device("virtio2", id: Make.block, bits: [9, 32]))

    @Test func absentMayFeatureIsNotOffered() throws {
        let result = try #require(Make.score(Make.requirement(Self.lifetime, level: .may), Self.evidence))
        #expect(result.verdict == .notOffered)
        #expect(result.reason.hasPrefix("Optional (MAY) feature not offered: "))
        #expect(Conformance.role(of: result) == .notOffered)
    }

    @Test func offeredMayFeaturePasses() throws {
        let offered = Make.evidence(Make.device("virtio2", id: Make.block, bits: [9, 15, 32]))
        #expect(try #require(Make.score(Make.requirement(Self.lifetime, level: .may), offered)).verdict == .pass)
    }

    @Test func mustAbsenceStillFails() throws {
        #expect(try #require(Make.score(Make.requirement(Self.lifetime, level: .must), Self.evidence)).verdict == .fail)
    }

    @Test func shouldMissCarriesJustification() throws {
        var requirement = Make.requirement(Self.lifetime, level: .should)
        requirement.justification = Justification(owner: "jane@acme.example", reason: "no flash behind it", grantedBy: "acme")
        let result = try #require(Make.score(requirement, Self.evidence))
        #expect(result.verdict == .fail)
        #expect(result.justification?.owner == "jane@acme.example")
        #expect(Conformance.role(of: result) == .justifiedDeviation)
        #expect(Conformance.word(for: result) == "DEVIATION")
    }

    @Test func notOfferedIsNotWaived() throws {
        var requirement = Make.requirement(Self.lifetime, level: .may)
        requirement.waiver = Waiver(reason: "later", owner: "o", expires: try #require(CalendarDay("2027-01-01")), grantedBy: "ov")
        let result = try #require(Make.score(requirement, Self.evidence))
        #expect(result.verdict == .notOffered)
        #expect(result.evidence.contains { $0.contains("not needed") })
    }
}
