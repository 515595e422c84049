import AVPSModel
import Scoring
import Testing

/// What a verified vendor attestation may change: it decides UNTESTED and SKIPPED requirements
/// only; a measurement (PASS, FAIL, NOT_APPLICABLE) wins, a measured FAIL is never overridden,
/// ERROR and INFRA stay, and an expired one changes nothing and says so.
@Suite struct AttestationScoringTests {
    static let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [
        requirement("R-NO-CHECK", nil),
        requirement("R-SKIPPED", .probe(name: "entropy.rate", device: nil, fact: "bytes_per_second", Comparison(.ge, .int(1)))),
        requirement("R-PASS", .devicePresent(.deviceID(Make.block))),
        requirement("R-FAIL", .devicePresent(.deviceID(Make.net))),
        requirement("R-ERROR", .probe(name: "block.integrity", device: nil, fact: "verified", Comparison(.eq, .bool(true)))),
        requirement("R-NA", .devicePresent(.deviceID(Make.net)), appliesIf: .devicePresent(.deviceID(Make.net))),
    ])

    static func requirement(_ key: String, _ check: Check?, appliesIf: Condition? = nil) -> Requirement {
        Requirement(key: key, title: key, chapter: "c", category: "general", level: .must, appliesIf: appliesIf,
                    check: check, confidence: .derived, rationale: "test")
    }

    static let attestation = Attestation(
        statement: "the UART matches the silicon", evidence: "https://acme.example/qa/7", owner: "qa@acme.example",
        vendor: "Acme", date: CalendarDay(year: 2026, month: 5, day: 1), expires: CalendarDay(year: 2026, month: 12, day: 31),
        file: "attestations/acme.yaml", sha256: String(repeating: "1", count: 64), signer: String(repeating: "a", count: 64))

    static var evidence: Evidence {
        var evidence = Make.evidence(Make.device("virtio2", id: Make.block))
        evidence.probes = [ProbeResult(name: "block.integrity", device: nil, status: .error, facts: [:], reason: "probe crashed")]
        return evidence
    }

    /// Every requirement attested, scored on `day`.
    func scored(on day: String = "2026-06-01", partial: Bool = false) throws -> [String: RequirementResult] {
        let all = Dictionary(uniqueKeysWithValues: Self.profile.requirements.map { ($0.key, Self.attestation) })
        let when = try #require(CalendarDay(day))
        let results = partial
            ? Scorer.score(Self.profile, partialEvidence: Self.evidence, fault: "agent died", attestations: all, on: when)
            : Scorer.score(Self.profile, evidence: Self.evidence, attestations: all, on: when)
        return Dictionary(uniqueKeysWithValues: results.map { ($0.key, $0) })
    }

    @Test func decidesOnlyWhatNoMachineDecided() throws {
        let results = try scored()
        for key in ["R-NO-CHECK", "R-SKIPPED"] {
            let result = try #require(results[key])
            #expect(result.verdict == .attested, "\(key): \(result.reason)")
            #expect(result.attestation == Self.attestation)
            #expect(result.reason.hasPrefix("Attested by qa@acme.example (Acme) on 2026-05-01, until 2026-12-31: the UART matches the silicon (evidence: https://acme.example/qa/7; not measured: "))
            #expect(Conformance.role(of: result) == .decided)
        }
        #expect(results["R-NO-CHECK"]?.reason.contains("not measured: UNTESTED: No machine check exists") == true)
        #expect(results["R-SKIPPED"]?.reason.contains("not measured: SKIPPED: ") == true)
    }

    @Test func aMeasuredFailIsNeverOverridden() throws {
        let fail = try #require(try scored()["R-FAIL"])
        #expect(fail.verdict == .fail)
        #expect(fail.attestation == nil)
        #expect(fail.reason.hasSuffix("states otherwise; a measured FAIL is never overridden by an attestation.)"), "\(fail.reason)")
        #expect(fail.evidence.contains { $0.hasSuffix("not applied: the measurement decided FAIL") })
        #expect(Conformance.role(of: fail) == .mustFailure)
    }

    @Test func measurementsAndBrokenRunsKeepTheirVerdict() throws {
        let results = try scored()
        #expect(results["R-PASS"]?.verdict == .pass)
        #expect(results["R-PASS"]?.evidence.last?.hasSuffix("not needed: the verdict was measured") == true)
        #expect(results["R-NA"]?.verdict == .notApplicable)
        #expect(results["R-ERROR"]?.verdict == .error)
        #expect(results["R-ERROR"]?.evidence.last?.hasSuffix("ERROR means the run broke; fix it and rerun") == true)
        // A probe the run never reached is INFRA after a fault: a statement cannot stand in for a broken run.
        let infra = try #require(try scored(partial: true)["R-SKIPPED"])
        #expect(infra.verdict == .infra)
        #expect(infra.attestation == nil)
        for result in try scored().values where result.verdict != .attested { #expect(result.attestation == nil) }
    }

    @Test func expiresAfterItsLastDay() throws {
        #expect(try scored(on: "2026-12-31")["R-NO-CHECK"]?.verdict == .attested, "the expiry day itself still counts")
        let expired = try #require(try scored(on: "2027-01-01")["R-NO-CHECK"])
        #expect(expired.verdict == .untested)
        #expect(expired.attestation == nil)
        #expect(expired.reason.hasSuffix("expired on 2026-12-31 and no longer counts; renew and re-sign it."), "\(expired.reason)")
        // The undecided MUST says what would decide it, and that the attestation expired.
        let target = TargetResult(name: "t", adapter: "qemu", accelerator: nil, commandLine: [],
                                  profile: ProfileReference(id: "p", path: "p", sha256: ""), stages: [], evidence: nil,
                                  infraError: nil, results: [expired], artifacts: [:])
        let note = try #require(Conformance.outcome(of: target).undecided.first?.note)
        #expect(note.contains("a signed vendor attestation (avps run --attestation)"))
        #expect(note.contains("expired on 2026-12-31"), "\(note)")
    }
}
