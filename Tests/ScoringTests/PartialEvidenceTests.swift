import AVPSModel
import Scoring
import Testing

/// Scoring after a later stage broke: verdicts whose inputs arrived stand; a check whose probe or
/// host observation never arrived is INFRA naming the fault, never SKIPPED.
@Suite struct PartialEvidenceTests {
    static let fault = "stage 'probes' failed: agent connection closed"

    static let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [
        requirement("R-PRESENT", .devicePresent(.deviceID(Make.block))),
        requirement("R-RAN", .probe(name: "block.integrity", device: .deviceID(Make.block), fact: "verified",
                                    Comparison(.eq, .bool(true)))),
        requirement("R-NOT-RAN", .probe(name: "entropy.rate", device: nil, fact: "bytes_per_second",
                                        Comparison(.ge, .int(1024)))),
        requirement("R-HOST", .host(observation: "qemu.virtio_devices", Comparison(.present))),
        requirement("R-ABSENT", .devicePresent(.deviceID(Make.net))),
    ])

    static func requirement(_ key: String, _ check: Check) -> Requirement {
        Requirement(key: key, title: key, chapter: "c", category: "storage", level: .must, appliesIf: nil,
                    check: check, confidence: .derived, rationale: "test")
    }

    func verdicts(_ evidence: Evidence) -> [String: RequirementResult] {
        let results = Scorer.score(Self.profile, partialEvidence: evidence, fault: Self.fault)
        return Dictionary(uniqueKeysWithValues: results.map { ($0.key, $0) })
    }

    @Test func collectedVerdictsStandAndMissingInputsAreInfra() throws {
        var evidence = Make.evidence(Make.device("virtio2", id: Make.block))
        evidence.probes = [ProbeResult(name: "block.integrity", device: "virtio2", status: .ok, facts: ["verified": .bool(true)])]
        let results = verdicts(evidence)
        #expect(results["R-PRESENT"]?.verdict == .pass)
        #expect(results["R-RAN"]?.verdict == .pass)
        // The platform failing a check it was measured on is still its failure.
        #expect(results["R-ABSENT"]?.verdict == .fail)
        let notRan = try #require(results["R-NOT-RAN"])
        #expect(notRan.verdict == .infra)
        #expect(notRan.reason == "Not measured: \(Self.fault)")
        #expect(notRan.evidence == ["Probe entropy.rate was not run."])
        #expect(results["R-HOST"]?.verdict == .infra)
    }

    @Test func aProbeThatRanAndCouldNotMeasureStaysSkipped() throws {
        var evidence = Make.evidence(Make.device("virtio2", id: Make.block))
        evidence.probes = [ProbeResult(name: "entropy.rate", device: nil, status: .unavailable, facts: [:],
                                       reason: "no hwrng")]
        evidence.hostObservations = ["qemu.virtio_devices": .int(1)]
        let results = verdicts(evidence)
        #expect(results["R-NOT-RAN"]?.verdict == .skipped)
        #expect(results["R-HOST"]?.verdict == .pass)
    }

    @Test func completeEvidenceScoresAsBefore() {
        let evidence = Make.evidence(Make.device("virtio2", id: Make.block))
        #expect(Scorer.score(Self.profile, evidence: evidence).map(\.verdict)
                == [.pass, .skipped, .skipped, .skipped, .fail])
    }
}
