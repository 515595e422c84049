import AVPSModel
import Testing

/// Every check kind against the inventories that matter: empty, typical, legacy, unbound, broken.
@Suite struct DevicePresentTests {
    @Test func presentPasses() throws {
        let result = try #require(Make.score(.devicePresent(.deviceID(Make.entropy)),
                                             Make.evidence(Make.device("virtio3", id: Make.entropy, address: "0000:00:05.0"))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "One entropy device is offered.")
        #expect(result.evidence == ["virtio3 (entropy, 0000:00:05.0)"])
    }

    @Test func absentFailsAndShowsInventory() throws {
        let result = try #require(Make.score(.devicePresent(.deviceID(Make.entropy)),
                                             Make.evidence(Make.device("virtio0", id: Make.net), Make.device("virtio1", id: Make.block))))
        #expect(result.verdict == .fail)
        #expect(result.reason == "No entropy device is offered.")
        #expect(result.evidence == ["inventory: virtio0 (net), virtio1 (block)"])
    }

    @Test func emptyInventoryFails() throws {
        let result = try #require(Make.score(.devicePresent(.any), Make.evidence()))
        #expect(result.verdict == .fail)
        #expect(result.evidence == ["inventory: no virtio devices"])
    }

    @Test func anUnknownDeviceIdIsStillCounted() throws {
        let result = try #require(Make.score(.devicePresent(.deviceID(99)), Make.evidence(Make.device("virtio0", id: 99))))
        #expect(result.verdict == .pass)
        #expect(result.evidence == ["virtio0 (device 99)"])
    }
}

@Suite struct FeatureNegotiatedTests {
    static let version1 = Check.featureNegotiated(.any, bit: 32)

    @Test func allModernPasses() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence(
            Make.device("virtio0", id: Make.net), Make.device("virtio2", id: Make.block, bits: [9, 28, 29, 32, 40], address: "0000:00:04.0"))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "All 2 virtio devices negotiated VERSION_1 (bit 32).")
        #expect(result.evidence == ["virtio0 (net): negotiated 28,29,32",
                                    "virtio2 (block, 0000:00:04.0): negotiated 9,28,29,32,40"])
    }

    @Test func legacyDeviceFailsByName() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence(
            Make.device("virtio0", id: Make.net), Make.device("virtio1", id: Make.block, bits: [9, 28], address: "0000:00:04.0"))))
        #expect(result.verdict == .fail)
        #expect(result.reason == "1 of 2 virtio devices did not negotiate VERSION_1 (bit 32): virtio1 (block, 0000:00:04.0).")
    }

    @Test func severalOffendersAreAllNamed() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence(
            Make.device("virtio0", id: Make.net, bits: []), Make.device("virtio1", id: Make.block, bits: [28]),
            Make.device("virtio2", id: 3, bits: [28]))))
        #expect(result.verdict == .fail)
        #expect(result.reason.hasSuffix("virtio0 (net), virtio1 (block) and virtio2 (console)."))
        #expect(result.evidence.first == "virtio0 (net): negotiated none")
    }

    @Test func emptyInventoryWithAnyIsNotApplicable() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence()))
        #expect(result.verdict == .notApplicable)
        #expect(result.reason == "No virtio device is offered, so there is nothing to check.")
    }

    @Test func missingSpecificDeviceFailsWithoutCondition() throws {
        let result = try #require(Make.score(.featureNegotiated(.deviceID(Make.block), bit: 9),
                                             Make.evidence(Make.device("virtio0", id: Make.net))))
        #expect(result.verdict == .fail)
        #expect(result.reason.hasPrefix("No block device is offered"))
    }

    @Test func deviceSpecificBitIsNamedForTheDevice() throws {
        let result = try #require(Make.score(.featureNegotiated(.deviceID(Make.block), bit: 9),
                                             Make.evidence(Make.device("virtio1", id: Make.block, bits: [32]))))
        #expect(result.verdict == .fail)
        #expect(result.reason == "1 of 1 block devices did not negotiate FLUSH (bit 9): virtio1 (block).")
    }

    @Test func unboundDevicesAreSkippedNotFailed() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence(
            Make.device("virtio0", id: Make.net, bits: [], status: 0x01, driver: nil))))
        #expect(result.verdict == .skipped)
        #expect(result.evidence == ["virtio0 (net): no driver bound, negotiated features unknown"])
    }

    @Test func unboundDeviceBesideABoundOneIsNotJudged() throws {
        let result = try #require(Make.score(Self.version1, Make.evidence(
            Make.device("virtio0", id: Make.net), Make.device("virtio1", id: Make.block, bits: [], status: 0x01, driver: nil))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "The virtio device negotiated VERSION_1 (bit 32) (1 without a driver not judged).")
    }
}

@Suite struct DriverReadyTests {
    @Test func readyDevicePasses() throws {
        let result = try #require(Make.score(.driverReady(.any),
                                             Make.evidence(Make.device("virtio0", id: Make.block, driver: "virtio_blk"))))
        #expect(result.verdict == .pass)
        #expect(result.evidence == ["virtio0 (block): driver virtio_blk, status 0x0f (ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK)"])
    }

    @Test(arguments: [
        (0x01, nil, "has no driver bound"),
        (0x8f, "virtio_blk", "has FAILED set (the driver gave up)"),
        (0x4f, "virtio_blk", "has DEVICE_NEEDS_RESET set"),
        (0x07, "virtio_blk", "lacks FEATURES_OK (feature negotiation did not complete)"),
        (0x0b, "virtio_blk", "lacks DRIVER_OK"),
    ] as [(Int, String?, String)])
    func notReady(status: Int, driver: String?, problem: String) throws {
        let result = try #require(Make.score(.driverReady(.any), Make.evidence(
            Make.device("virtio0", id: Make.net), Make.device("virtio1", id: Make.block, status: status, driver: driver))))
        #expect(result.verdict == .fail)
        #expect(result.reason == "1 of 2 virtio devices not ready: virtio1 (block) \(problem).")
    }

    @Test func emptyInventoryWithAnyIsNotApplicable() throws {
        #expect(Make.score(.driverReady(.any), Make.evidence())?.verdict == .notApplicable)
    }

    /// Linux sets FEATURES_OK only after negotiating VERSION_1; a legacy device driven to
    /// DRIVER_OK (status 0x07) is ready, and a modern one with the same status is not.
    @Test func legacyDevicesNeedNoFeaturesOK() throws {
        let legacy = try #require(Make.score(.driverReady(.any), Make.evidence(
            Make.device("virtio0", id: Make.block, bits: [28, 29], status: 0x07, driver: "virtio_blk"))))
        #expect(legacy.verdict == .pass, "\(legacy.reason)")
        let modern = try #require(Make.score(.driverReady(.any), Make.evidence(
            Make.device("virtio0", id: Make.block, bits: [28, 29, 32], status: 0x07, driver: "virtio_blk"))))
        #expect(modern.verdict == .fail)
        #expect(modern.reason.contains("lacks FEATURES_OK"))
    }

    @Test func onlyTheSelectedDeviceIsJudged() throws {
        let result = try #require(Make.score(.driverReady(.deviceID(Make.block)), Make.evidence(
            Make.device("virtio0", id: Make.net, status: 0x01, driver: nil), Make.device("virtio1", id: Make.block))))
        #expect(result.verdict == .pass)
        #expect(result.reason == "The block device reached DRIVER_OK with a driver bound.")
    }
}
