import AVPSModel
import Scoring
import Testing

/// The check kinds that read offered features, the legacy flag and decoded config, including
/// every path where the agent could not measure (SKIPPED with its reason, never PASS).
@Suite struct FeatureOfferedTests {
    static let flush = Check.featureOffered(.deviceID(Make.block), bit: 9)

    @Test func offeredPasses() throws {
        let result = try #require(Make.score(Self.flush, Make.evidence(Make.device("virtio2", id: Make.block, offered: [9, 32]))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "The block device offered FLUSH (bit 9).")
        #expect(result.evidence == ["virtio2 (block): offered 9,32 (via pci-cfg-window)"])
    }

    @Test func notOfferedFails() throws {
        let result = try #require(Make.score(Self.flush, Make.evidence(Make.device("virtio2", id: Make.block, offered: [32]))))
        #expect(result.verdict == .fail)
        #expect(result.reason == "1 of 1 block devices fail: virtio2 (block) does not offer FLUSH (bit 9).")
    }

    @Test func unreadableOfferedIsSkippedWithTheAgentsReason() throws {
        var device = Make.device("virtio2", id: Make.block)
        device.offered = OfferedFeatures(bits: nil, method: nil, unavailableReason: "kernel lockdown refuses config writes")
        let result = try #require(Make.score(Self.flush, Make.evidence(device)))
        #expect(result.verdict == .skipped)
        #expect(result.reason == "Not measurable on any block device: offered features unavailable: kernel lockdown refuses config writes.")
    }

    @Test func notReportedAtAllIsSkipped() throws {
        let result = try #require(Make.score(Self.flush, Make.evidence(Make.device("virtio2", id: Make.block))))
        #expect(result.verdict == .skipped)
        #expect(result.reason.contains("offered features not reported by the agent"))
    }

    @Test func unmeasuredDevicesAreListedButOnlyMeasuredOnesJudged() throws {
        let result = try #require(Make.score(.featureOffered(.any, bit: 32), Make.evidence(
            Make.device("virtio0", id: Make.net, offered: [32]), Make.device("virtio1", id: Make.block))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "The virtio device offered VERSION_1 (bit 32) (1 not measurable, not judged).")
        #expect(result.evidence.last == "virtio1 (block): offered features not reported by the agent")
    }

    @Test func absentSpecificDeviceFailsAndAnyIsNotApplicable() throws {
        #expect(Make.score(Self.flush, Make.evidence())?.verdict == .fail)
        #expect(Make.score(.featureOffered(.any, bit: 32), Make.evidence())?.verdict == .notApplicable)
    }
}

@Suite struct NegotiatedSubsetTests {
    static let check = Check.negotiatedSubsetOfOffered(.any)

    @Test func subsetPasses() throws {
        let result = try #require(Make.score(Self.check, Make.evidence(Make.device("virtio0", id: Make.net, bits: [5, 32], offered: [5, 16, 32]))))
        #expect(result.verdict == .pass)
        #expect(result.evidence == ["virtio0 (net): offered 5,16,32 (via pci-cfg-window)", "virtio0 (net): negotiated 5,32"])
    }

    @Test func extraBitsFailByName() throws {
        let result = try #require(Make.score(Self.check, Make.evidence(Make.device("virtio0", id: Make.net, bits: [5, 17, 32], offered: [5, 32]))))
        #expect(result.verdict == .fail)
        #expect(result.reason.hasSuffix("virtio0 (net) negotiated bits it did not offer: CTRL_VQ."))
    }

    @Test func unboundOrUnmeasuredIsSkipped() throws {
        let unbound = Make.device("virtio0", id: Make.net, bits: [], driver: nil, offered: [32])
        let unmeasured = Make.device("virtio1", id: Make.block)
        let result = try #require(Make.score(Self.check, Make.evidence(unbound, unmeasured)))
        #expect(result.verdict == .skipped)
        #expect(result.reason.contains("no driver bound"))
        #expect(result.reason.contains("offered features not reported by the agent"))
    }
}

@Suite struct NotLegacyTests {
    static let check = Check.notLegacy(.any)

    func device(_ legacy: Bool?) -> VirtioDeviceRecord {
        var device = Make.device("virtio3", id: Make.entropy)
        device.legacy = legacy
        return device
    }

    @Test func modernPasses() throws {
        #expect(Make.score(Self.check, Make.evidence(device(false)))?.verdict == .pass)
    }

    @Test func legacyFails() throws {
        let result = try #require(Make.score(Self.check, Make.evidence(device(true))))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("virtio3 (entropy) is driven through the legacy (pre-1.0) interface"))
    }

    @Test func unknownIsSkipped() throws {
        let result = try #require(Make.score(Self.check, Make.evidence(device(nil))))
        #expect(result.verdict == .skipped)
        #expect(result.reason == "Not measurable on any virtio device: the agent did not report whether it is legacy.")
    }
}

@Suite struct ConfigCheckTests {
    func net(_ config: [String: FactValue]?, bits: [Int] = [5, 32]) -> VirtioDeviceRecord {
        var device = Make.device("virtio0", id: Make.net, bits: bits)
        device.config = config
        return device
    }

    @Test func thresholdHolds() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mtu", Comparison(.ge, .int(1500))),
                                             Make.evidence(net(["mtu": .int(1500)], bits: [3, 32]))))
        #expect(result.verdict == .pass)
        #expect(result.evidence == ["virtio0 (net): mtu = 1500"])
    }

    @Test func thresholdViolatedFails() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mtu", Comparison(.ge, .int(1500))),
                                             Make.evidence(net(["mtu": .int(576)], bits: [3, 32]))))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("has mtu = 576, expected >= 1500"))
    }

    @Test func fieldMissingBecauseFeatureNotNegotiatedFails() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mtu", Comparison(.present)),
                                             Make.evidence(net(["mac": .string("52:54:00:12:34:56")]))))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("does not provide mtu (valid only with MTU, not negotiated)"))
    }

    @Test func fieldMissingThoughValidIsSkipped() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mtu", Comparison(.present)),
                                             Make.evidence(net(["mac": .string("52:54:00:12:34:56")], bits: [3, 32]))))
        #expect(result.verdict == .skipped)
        #expect(result.reason.contains("the agent did not report config field mtu"))
    }

    @Test func configNotDecodedIsSkipped() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mac", Comparison(.present)), Make.evidence(net(nil))))
        #expect(result.verdict == .skipped)
        #expect(result.reason.contains("the agent did not decode its config space"))
    }

    @Test func agentSpellingOfANestedFieldIsFound() throws {
        var block = Make.device("virtio1", id: Make.block, bits: [4, 32])
        block.config = ["cylinders": .int(130)]
        let result = try #require(Make.score(.config(.deviceID(Make.block), field: "geometry.cylinders", Comparison(.gt, .int(0))),
                                             Make.evidence(block)))
        #expect(result.verdict == .pass)
    }

    @Test func textComparedWithANumberIsAnError() throws {
        let result = try #require(Make.score(.config(.deviceID(Make.net), field: "mac", Comparison(.gt, .int(0))),
                                             Make.evidence(net(["mac": .string("52:54:00:12:34:56")]))))
        #expect(result.verdict == .error)
    }

    @Test func equalityOnText() throws {
        let check = Check.config(.deviceID(Make.net), field: "mac", Comparison(.ne, .string("00:00:00:00:00:00")))
        #expect(Make.score(check, Make.evidence(net(["mac": .string("52:54:00:12:34:56")])))?.verdict == .pass)
        #expect(Make.score(check, Make.evidence(net(["mac": .string("00:00:00:00:00:00")])))?.verdict == .fail)
    }
}
