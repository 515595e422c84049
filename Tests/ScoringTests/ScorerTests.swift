@testable import Scoring
import AVPSModel
import Testing

/// Requirement-level paths: applicability, untested, infra, and what a result carries.
@Suite struct ScorerTests {
    @Test func noCheckIsUntested() throws {
        let result = try #require(Make.score(nil, Make.evidence()))
        #expect(result.verdict == .untested)
        #expect(result.reason == "No machine check exists for this requirement yet.")
    }

    @Test func unmetConditionIsNotApplicableEvenWithoutCheck() throws {
        let result = try #require(Make.score(nil, appliesIf: .devicePresent(.deviceID(Make.block)),
                                             Make.evidence(Make.device("virtio0", id: Make.net))))
        #expect(result.verdict == .notApplicable)
        #expect(result.reason == "No block device is offered, so this requirement does not apply.")
    }

    @Test func metConditionRunsTheCheck() throws {
        let result = try #require(Make.score(.featureNegotiated(.deviceID(Make.block), bit: 9),
                                             appliesIf: .devicePresent(.deviceID(Make.block)),
                                             Make.evidence(Make.device("virtio1", id: Make.block, bits: [9, 32]))))
        #expect(result.verdict == .pass)
    }

    @Test func resultCarriesRequirementIdentity() throws {
        let requirement = Requirement(key: "AVPS2-RNG-01", title: "Entropy", chapter: "Random Number Generation",
                                      category: "entropy", level: .should, check: .devicePresent(.deviceID(4)),
                                      confidence: .derived, rationale: "r")
        let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [requirement])
        let result = try #require(Scorer.score(profile, evidence: Make.evidence()).first)
        #expect(result.key == "AVPS2-RNG-01")
        #expect(result.title == "Entropy")
        #expect(result.chapter == "Random Number Generation")
        #expect(result.category == "entropy")
        #expect(result.level == .should)
    }

    @Test func infraMarksEveryRequirement() {
        let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [
            Make.requirement(nil), Make.requirement(.devicePresent(.any)),
            Make.requirement(.driverReady(.any), appliesIf: .devicePresent(.deviceID(2))),
        ])
        let results = Scorer.infra(profile, reason: "guest did not boot within 60 s")
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.verdict == .infra && $0.reason == "guest did not boot within 60 s" })
    }

    @Test func resultsKeepProfileOrder() {
        let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: (1...5).map { index in
            Requirement(key: "K-\(index)", title: "t", chapter: "c", category: "g", level: .may, check: nil,
                        confidence: .derived, rationale: "r")
        })
        #expect(Scorer.score(profile, evidence: Make.evidence()).map(\.key) == ["K-1", "K-2", "K-3", "K-4", "K-5"])
    }
}

/// A device the target asked for but the hypervisor could not offer (QEMU 7.2 and virtio-sound).
@Suite struct WithheldDeviceTests {
    @Test func withheldDeviceNamesTheHypervisorInTheReason() throws {
        var evidence = Make.evidence(Make.device("virtio0", id: Make.net))
        evidence.hostObservations[Evidence.withheldKey(deviceID: 25)] = .string("QEMU emulator version 7.2.22 has no virtio-sound-pci device")
        let result = try #require(Make.score(.driverReady(.deviceID(25)), appliesIf: .devicePresent(.deviceID(25)), evidence))
        #expect(result.verdict == .notApplicable)
        #expect(result.reason == "The target asked for a sound device but the hypervisor cannot offer one "
                + "(QEMU emulator version 7.2.22 has no virtio-sound-pci device), so this requirement does not apply.")
        // Another device type keeps the plain reason.
        let other = try #require(Make.score(nil, appliesIf: .devicePresent(.deviceID(Make.block)), evidence))
        #expect(other.reason == "No block device is offered, so this requirement does not apply.")
    }
}
