import AVPSModel
import Scoring
import Testing

/// `applies_if` read from platform probes (`probe:`), the hypervisor's withheld devices
/// (`not_withheld:`) and several conditions at once; and host checks whose observation the host
/// explained away (a destructive test that was off).
@Suite struct PlatformConditionTests {
    static let hasCAN = Condition.probe(name: "platform.buses", fact: "can_count", Comparison(.ge, .int(1)))
    static let canUsable = Check.probe(name: "platform.buses", device: nil, fact: "can_mtu_invalid", Comparison(.eq, .int(0)))

    static func buses(_ facts: [String: FactValue], status: ProbeResult.Status = .ok, reason: String? = nil) -> Evidence {
        var evidence = Make.evidence()
        evidence.probes = [ProbeResult(name: "platform.buses", device: nil, status: status, facts: facts, reason: reason)]
        return evidence
    }

    @Test func unmetProbeConditionIsNotApplicableAndQuotesTheProbesReason() throws {
        let why = "the guest kernel has no CAN support: no module/can_dev"
        let result = try #require(Make.score(Self.canUsable, appliesIf: Self.hasCAN,
                                             Self.buses(["can_count": .int(0), "can_reason": .string(why)])))
        #expect(result.verdict == .notApplicable)
        #expect(result.reason.contains("can_count = 0") && result.reason.contains(why), "\(result.reason)")
        #expect(result.evidence.contains { $0.hasPrefix("platform.buses: ok") })
    }

    @Test func metProbeConditionLetsTheCheckDecide() throws {
        let pass = Self.buses(["can_count": .int(1), "can_mtu_invalid": .int(0)])
        #expect(Make.score(Self.canUsable, appliesIf: Self.hasCAN, pass)?.verdict == .pass)
        let fail = Self.buses(["can_count": .int(2), "can_mtu_invalid": .int(1)])
        #expect(Make.score(Self.canUsable, appliesIf: Self.hasCAN, fail)?.verdict == .fail)
    }

    @Test func aConditionThatCannotBeJudgedIsNeverNotApplicable() throws {
        let notRun = try #require(Make.score(Self.canUsable, appliesIf: Self.hasCAN, Make.evidence()))
        #expect(notRun.verdict == .skipped && notRun.reason.contains("was not run"), "\(notRun.reason)")
        let unavailable = Self.buses([:], status: .unavailable, reason: "no sysfs")
        #expect(Make.score(Self.canUsable, appliesIf: Self.hasCAN, unavailable)?.verdict == .skipped)
        let broken = Self.buses([:], status: .error, reason: "bad")
        #expect(Make.score(Self.canUsable, appliesIf: Self.hasCAN, broken)?.verdict == .error)
        let factless = Self.buses(["rtc_count": .int(1)])
        #expect(Make.score(Self.canUsable, appliesIf: Self.hasCAN, factless)?.verdict == .error)
    }

    @Test func aConditionsProbeMissingAfterAFaultIsInfra() throws {
        let profile = Profile(id: "p", title: "p", specVersion: "2.0",
                              requirements: [Make.requirement(Self.canUsable, appliesIf: Self.hasCAN)])
        let result = try #require(Scorer.score(profile, partialEvidence: Make.evidence(), fault: "stage 'probes' failed").first)
        #expect(result.verdict == .infra)
    }

    @Test func withheldKindIsNotApplicableWithTheHypervisorsReason() throws {
        let check = Check.probe(name: "watchdog.basic", device: nil, fact: "watchdog_count", Comparison(.ge, .int(1)))
        var evidence = Make.evidence()
        evidence.probes = [ProbeResult(name: "watchdog.basic", device: nil, status: .ok, facts: ["watchdog_count": .int(0)])]
        let absent = try #require(Make.score(check, appliesIf: .notWithheld(kind: "watchdog"), evidence))
        #expect(absent.verdict == .fail, "not withheld, not there: the platform's failure")
        evidence.hostObservations[Evidence.withheldKey(kind: "watchdog")] = .string("aarch64 virt has none")
        let withheld = try #require(Make.score(check, appliesIf: .notWithheld(kind: "watchdog"), evidence))
        #expect(withheld.verdict == .notApplicable)
        #expect(withheld.reason == "The target asked for a watchdog device but the hypervisor cannot offer one (aarch64 virt has none), so this requirement does not apply.")
    }

    @Test func severalConditionsAreJudgedInOrder() throws {
        let both = Condition.all([.notWithheld(kind: "watchdog"),
                                  .probe(name: "watchdog.basic", fact: "watchdog_count", Comparison(.ge, .int(1)))])
        let check = Check.probe(name: "watchdog.basic", device: nil, fact: "keepalive_ok", Comparison(.eq, .bool(true)))
        var evidence = Make.evidence()
        evidence.hostObservations[Evidence.withheldKey(kind: "watchdog")] = .string("no model")
        let withheld = try #require(Make.score(check, appliesIf: both, evidence))
        #expect(withheld.verdict == .notApplicable && withheld.reason.contains("no model"), "the first unmet part answers")
        evidence.hostObservations = [:]
        evidence.probes = [ProbeResult(name: "watchdog.basic", device: nil, status: .ok,
                                       facts: ["watchdog_count": .int(1), "keepalive_ok": .bool(true)])]
        #expect(Make.score(check, appliesIf: both, evidence)?.verdict == .pass)
    }

    @Test func explanationFactIsTheFactsGroupReason() {
        #expect(Evidence.explanationFact(for: "can_count") == "can_reason")
        #expect(Evidence.explanationFact(for: "watchdog_count") == "watchdog_reason")
        #expect(Evidence.explanationFact(for: "devices") == "devices_reason")
    }

    static let expiry = Check.host(observation: "watchdog_expiry_reset", Comparison(.eq, .bool(true)))

    @Test func hostCheckSaysWhyItsObservationWasNotRecorded() throws {
        var evidence = Make.evidence()
        evidence.hostObservations[Evidence.notRecordedKey("watchdog_expiry_reset")] = .string("the destructive watchdog test is off")
        let off = try #require(Make.score(Self.expiry, evidence))
        #expect(off.verdict == .skipped)
        #expect(off.reason == "The host did not record watchdog_expiry_reset for this target: the destructive watchdog test is off.")
        // An explained absence is not missing input: a later fault does not turn it into INFRA.
        let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [Make.requirement(Self.expiry)])
        #expect(Scorer.score(profile, partialEvidence: evidence, fault: "stage 'poweroff' failed").first?.verdict == .skipped)
        #expect(Scorer.score(profile, partialEvidence: Make.evidence(), fault: "stage 'poweroff' failed").first?.verdict == .infra)
    }

    @Test func observedResetPassesAndAMissingOneFails() {
        var evidence = Make.evidence()
        evidence.hostObservations["watchdog_expiry_reset"] = .bool(true)
        #expect(Make.score(Self.expiry, evidence)?.verdict == .pass)
        evidence.hostObservations["watchdog_expiry_reset"] = .bool(false)
        #expect(Make.score(Self.expiry, evidence)?.verdict == .fail)
        // What the host saw behind the value is quoted in the FAIL.
        evidence.hostObservations[Evidence.detailKey("watchdog_expiry_reset")] = .string("the same boot id for 23 s")
        let failed = Make.score(Self.expiry, evidence)
        #expect(failed?.verdict == .fail
                && failed?.reason == "The host observed watchdog_expiry_reset = false: the same boot id for 23 s; expected == true.",
                "\(failed?.reason ?? "")")
    }
}
