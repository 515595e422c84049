import AVPSModel
import Scoring
import Testing

/// Requirements about a pair of VMs (`system` checks): decided once in the system's own result,
/// SKIPPED (never PASS) on a single guest, absent from each VM's own results.
@Suite struct SystemScoringTests {
    static let isolation = Check.system(observation: "storage_isolation.secret_found", Comparison(.eq, .bool(false)))

    static func profile() -> Profile {
        Profile(id: "p", title: "p", specVersion: "2.0", requirements: [
            Requirement(key: "SYS-01", title: "isolated", chapter: "Storage", category: "storage", level: .must,
                        check: isolation, confidence: .derived, rationale: "t"),
            Requirement(key: "ONE-01", title: "rng", chapter: "Entropy", category: "entropy", level: .must,
                        check: .devicePresent(.deviceID(4)), confidence: .derived, rationale: "t"),
        ])
    }

    @Test func aSingleGuestCannotDecideASystemCheck() throws {
        let result = try #require(Make.score(Self.isolation, Make.evidence()))
        #expect(result.verdict == .skipped)
        #expect(result.reason.contains("single guest") && result.reason.contains("system-two-vms.yaml"), "\(result.reason)")
    }

    @Test func theSystemResultHoldsOnlySystemRequirementsAndJudgesThem() {
        let pass = Scorer.scoreSystem(Self.profile(), system: "s", observations: ["storage_isolation.secret_found": .bool(false),
                                                                                  "storage_isolation.secret_found.scanned_bytes": .int(4096)])
        #expect(pass.map(\.key) == ["SYS-01"])
        #expect(pass.first?.verdict == .pass)
        #expect(pass.first?.evidence.contains("system: storage_isolation.secret_found.scanned_bytes = 4096") == true)
        #expect(pass.first?.basis == .guestReported, "a guest's scan is the guest's word")
        let fail = Scorer.scoreSystem(Self.profile(), system: "s", observations: ["storage_isolation.secret_found": .bool(true)])
        #expect(fail.first?.verdict == .fail)
    }

    @Test func notMeasuredIsSkippedWithTheReasonOrInfraWhenAVMFailed() {
        let skipped = Scorer.scoreSystem(Self.profile(), system: "s", observations: [
            Evidence.notRecordedKey("storage_isolation.secret_found"): .string("VM b has no disk")])
        #expect(skipped.first?.verdict == .skipped && skipped.first?.reason.contains("VM b has no disk") == true)
        let infra = Scorer.scoreSystem(Self.profile(), system: "s", observations: [:], fault: "VM s/b: stage 'agent ready' failed")
        #expect(infra.first?.verdict == .infra && infra.first?.reason.contains("s/b") == true)
    }

    @Test func hostObservedSystemFactsSayHostObserved() {
        let check = Check.system(observation: "watchdog_isolation.host_other_reset", Comparison(.eq, .bool(false)))
        #expect(VerdictBasis.of(check, evidence: Make.evidence()) == .hostObserved)
    }

    @Test func aVMsResultsLeaveTheSystemRequirementsOut() {
        let all = Scorer.score(Self.profile(), evidence: Make.evidence())
        #expect(all.map(\.key) == ["SYS-01", "ONE-01"])
        #expect(Scorer.memberResults(all, profile: Self.profile()).map(\.key) == ["ONE-01"])
    }
}
