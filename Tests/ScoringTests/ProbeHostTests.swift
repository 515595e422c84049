import AVPSModel
import Scoring
import Testing

/// `probe` and `host` checks: thresholds on measured facts, and the honest non-PASS paths
/// (probe not run, unavailable, broken, fact missing, observation missing).
@Suite struct ProbeCheckTests {
    static let integrity = Check.probe(name: "block.integrity", device: .deviceID(Make.block), fact: "verified",
                                       Comparison(.eq, .bool(true)))

    func evidence(_ probes: ProbeResult...) -> Evidence {
        var evidence = Make.evidence(Make.device("virtio2", id: Make.block), Make.device("virtio3", id: Make.entropy))
        evidence.probes = probes
        return evidence
    }

    @Test func measuredFactPasses() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio2", status: .ok, facts: ["verified": .bool(true), "bytes": .int(4096)])
        let result = try #require(Make.score(Self.integrity, evidence(run)))
        #expect(result.verdict == .pass)
        #expect(result.reason == "Probe block.integrity measured verified == true.")
        #expect(result.evidence == ["block.integrity on virtio2: ok, bytes=4096, verified=true"])
    }

    @Test func violatedFactFails() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio2", status: .ok, facts: ["verified": .bool(false)])
        let result = try #require(Make.score(Self.integrity, evidence(run)))
        #expect(result.verdict == .fail)
        #expect(result.reason == "Probe block.integrity measured verified = false on virtio2; expected verified == true.")
    }

    @Test func probeNotRunIsSkipped() throws {
        let result = try #require(Make.score(Self.integrity, evidence()))
        #expect(result.verdict == .skipped)
        #expect(result.reason == "Probe block.integrity was not run on any block device.")
    }

    @Test func probeOnAnotherDeviceDoesNotCount() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio3", status: .ok, facts: ["verified": .bool(true)])
        #expect(Make.score(Self.integrity, evidence(run))?.verdict == .skipped)
    }

    @Test func unavailableIsSkippedWithTheReason() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio2", status: .unavailable, facts: [:], reason: "no /dev/vd* node")
        let result = try #require(Make.score(Self.integrity, evidence(run)))
        #expect(result.verdict == .skipped)
        #expect(result.reason == "Probe block.integrity could not run here: no /dev/vd* node.")
    }

    @Test func brokenProbeIsAnError() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio2", status: .error, facts: [:], reason: "pwrite: EIO")
        let result = try #require(Make.score(Self.integrity, evidence(run)))
        #expect(result.verdict == .error)
        #expect(result.reason == "Probe block.integrity broke: pwrite: EIO.")
    }

    @Test func missingFactIsAnError() throws {
        let run = ProbeResult(name: "block.integrity", device: "virtio2", status: .ok, facts: ["bytes": .int(1)])
        #expect(Make.score(Self.integrity, evidence(run))?.verdict == .error)
    }

    @Test func thresholdWithoutDeviceAcrossRuns() throws {
        let check = Check.probe(name: "entropy.rate", device: nil, fact: "bytes_per_second", Comparison(.ge, .int(1024)))
        let fast = ProbeResult(name: "entropy.rate", device: "virtio3", status: .ok, facts: ["bytes_per_second": .double(51234.5)])
        #expect(Make.score(check, evidence(fast))?.verdict == .pass)
        let slow = ProbeResult(name: "entropy.rate", device: "virtio3", status: .ok, facts: ["bytes_per_second": .double(12.5)])
        #expect(Make.score(check, evidence(slow))?.verdict == .fail)
    }
}

@Suite struct HostCheckTests {
    static let boot = Check.host(observation: "boot_to_agent_seconds", Comparison(.le, .int(30)))

    func evidence(_ observations: [String: FactValue]) -> Evidence {
        var evidence = Make.evidence(Make.device("virtio0", id: Make.net))
        evidence.hostObservations = observations
        return evidence
    }

    @Test func withinThresholdPasses() throws {
        let result = try #require(Make.score(Self.boot, evidence(["boot_to_agent_seconds": .double(3.8)])))
        #expect(result.verdict == .pass)
        #expect(result.evidence == ["host: boot_to_agent_seconds = 3.8"])
    }

    @Test func overThresholdFails() throws {
        let result = try #require(Make.score(Self.boot, evidence(["boot_to_agent_seconds": .double(45.2)])))
        #expect(result.verdict == .fail)
        #expect(result.reason == "The host observed boot_to_agent_seconds = 45.2; expected <= 30.")
    }

    @Test func missingObservationIsSkipped() throws {
        let result = try #require(Make.score(Self.boot, evidence([:])))
        #expect(result.verdict == .skipped)
        #expect(result.reason == "The host did not record boot_to_agent_seconds for this target.")
    }

    @Test func presentNeedsOnlyTheObservation() throws {
        let check = Check.host(observation: "boot_to_agent_seconds", Comparison(.present))
        #expect(Make.score(check, evidence(["boot_to_agent_seconds": .double(120)]))?.verdict == .pass)
    }
}

/// Overlay effects at scoring time: waivers (active, expired, not needed), level changes and
/// non-normative key figures.
@Suite struct WaiverScoringTests {
    static let failing = Make.evidence(Make.device("virtio2", id: Make.block, bits: [32]))

    func requirement(waiverUntil expiry: String?, normative: Bool = true) -> Requirement {
        var requirement = Make.requirement(.featureNegotiated(.deviceID(Make.block), bit: 9))
        requirement.normative = normative
        requirement.waiver = expiry.flatMap(CalendarDay.init).map {
            Waiver(reason: "flush lands in 3.3", owner: "qa@acme.example", expires: $0, grantedBy: "acme")
        }
        return requirement
    }

    @Test func activeWaiverScoresWaivedWithReasonAndUnderlyingVerdict() throws {
        let result = try #require(Make.score(requirement(waiverUntil: "2026-06-01"), Self.failing, on: "2026-06-01"))
        #expect(result.verdict == .waived)
        #expect(result.reason.hasPrefix("Waived until 2026-06-01 by qa@acme.example: flush lands in 3.3 (underlying verdict FAIL: "))
    }

    @Test func expiredWaiverStopsApplyingAndSaysSo() throws {
        let result = try #require(Make.score(requirement(waiverUntil: "2026-05-31"), Self.failing, on: "2026-06-01"))
        #expect(result.verdict == .fail)
        #expect(result.reason.hasSuffix("The waiver by qa@acme.example (acme) expired on 2026-05-31 and no longer applies."))
    }

    @Test func passingRequirementKeepsItsPassAndFlagsTheStaleWaiver() throws {
        let passing = Make.evidence(Make.device("virtio2", id: Make.block, bits: [9, 32]))
        let result = try #require(Make.score(requirement(waiverUntil: "2030-01-01"), passing))
        #expect(result.verdict == .pass)
        #expect(result.evidence.last?.contains("not needed") == true)
    }

    @Test func levelChangeIsRecordedInTheEvidence() throws {
        var changed = requirement(waiverUntil: nil)
        changed.levelChange = LevelChange(from: .should, reason: "customers rely on flush", changedBy: "acme")
        let result = try #require(Make.score(changed, Self.failing))
        #expect(result.level == .must)
        #expect(result.evidence.last == "level MUST (was SHOULD, changed by acme: customers rely on flush)")
    }

    @Test func nonNormativeKeepsItsVerdictAndSaysItDoesNotCount() throws {
        let result = try #require(Make.score(requirement(waiverUntil: nil, normative: false), Self.failing))
        #expect(result.verdict == .fail)
        #expect(result.evidence.last == "non-normative key figure: reported, never decides the exit code")
    }

    @Test func calendarDaysParseStrictly() {
        #expect(CalendarDay("2028-02-29") != nil)
        #expect(CalendarDay("2027-02-29") == nil)
        #expect(CalendarDay("2027-13-01") == nil)
        #expect(CalendarDay("27-01-01") == nil)
        #expect(CalendarDay("2027-01-01").map(String.init(describing:)) == "2027-01-01")
    }
}
