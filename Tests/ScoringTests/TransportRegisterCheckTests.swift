@testable import Scoring
import AVPSModel
import Testing

/// The transport register checks, each over the values QEMU really presented in the real-guest
/// runs (words and capabilities copied from them): modern PCI capabilities, a legacy interface
/// presented, the virtio-mmio Version, and feature words beyond the defined bits.
@Suite struct TransportRegisterCheckTests {
    static func device(_ name: String, id: Int = 4, _ transport: VirtioTransport, words: [Int]? = nil,
                       capabilities: [Int]? = nil, legacyInterface: Bool? = nil, version: Int? = nil) -> VirtioDeviceRecord {
        var device = Make.device(name, id: id)
        device.transport = transport
        device.offered = OfferedFeatures(bits: FeatureBits([28, 29, 32]), method: transport == .mmio ? "mmio-registers" : "pci-cfg-window")
        device.offered?.words = words
        device.pciCapabilities = capabilities
        device.legacyInterface = legacyInterface
        device.transportVersion = version
        return device
    }

    static let modernPCI = device("virtio2", id: 2, .pci, capabilities: [1, 2, 3, 4, 5])
    static let legacyOnlyPCI = device("virtio3", id: 2, .pci, capabilities: [])

    @Test func modernCapabilitiesPassAndALegacyOnlyFunctionFails() throws {
        #expect(try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(Self.modernPCI))).verdict == .pass)
        // An entropy device has no device-specific config: no device capability is required.
        let rng = Self.device("virtio4", id: 4, .pci, capabilities: [1, 2, 3, 5])
        #expect(try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(rng))).verdict == .pass)
        let result = try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(Self.modernPCI, Self.legacyOnlyPCI)))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("virtio3 (block) lacks the VIRTIO capabilities common, notify, ISR, PCI-config-access, device (it presents none: legacy-only)"),
                "\(result.reason)")
        let noNotify = Self.device("virtio5", id: 2, .pci, capabilities: [1, 3, 4, 5])
        #expect(try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(noNotify))).reason.contains("lacks the VIRTIO capabilities notify"))
    }

    @Test func capabilitiesOnlyApplyToPCIAndUnreadableOnesAreSkipped() throws {
        let mmio = Self.device("virtio0", .mmio, version: 2)
        #expect(try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(mmio))).verdict == .notApplicable)
        let unreadable = Self.device("virtio1", .pci)
        let skipped = try #require(Make.score(.pciModernCapabilities(.any), Make.evidence(unreadable)))
        #expect(skipped.verdict == .skipped && skipped.reason.contains("PCI capabilities not readable"))
    }

    @Test func legacyInterfacePresentedOrNot() throws {
        let transitional = Self.device("virtio1", .pci, legacyInterface: true)
        let modernOnly = Self.device("virtio2", .pci, legacyInterface: false)
        let mmioV1 = Self.device("virtio3", .mmio, legacyInterface: true, version: 1)
        let absent = try #require(Make.score(.legacyInterface(.any, present: false), Make.evidence(modernOnly, transitional, mmioV1)))
        #expect(absent.verdict == .fail)
        #expect(absent.reason.contains("virtio1 (entropy) presents the legacy interface (legacy I/O BAR of a transitional function)"))
        #expect(absent.reason.contains("virtio3 (entropy) presents the legacy interface (virtio-mmio Version 1)"))
        #expect(try #require(Make.score(.legacyInterface(.any, present: false), Make.evidence(modernOnly))).verdict == .pass)
        #expect(try #require(Make.score(.legacyInterface(.any, present: true), Make.evidence(transitional))).verdict == .pass)
        let unknown = Self.device("virtio4", .pci)
        #expect(try #require(Make.score(.legacyInterface(.any, present: false), Make.evidence(unknown))).verdict == .skipped)
    }

    @Test func mmioVersion() throws {
        let v1 = Self.device("virtio0", .mmio, version: 1), v2 = Self.device("virtio1", .mmio, version: 2)
        #expect(try #require(Make.score(.mmioVersion(.any, version: 2), Make.evidence(v2))).verdict == .pass)
        let failed = try #require(Make.score(.mmioVersion(.any, version: 2), Make.evidence(v2, v1)))
        #expect(failed.verdict == .fail && failed.reason.contains("virtio0 (entropy) has Version 1 (the legacy register layout)"))
        #expect(try #require(Make.score(.mmioVersion(.any, version: 2), Make.evidence(Self.modernPCI))).verdict == .notApplicable)
        #expect(try #require(Make.score(.mmioVersion(.any, version: 2), Make.evidence(Self.device("virtio2", .mmio)))).verdict == .skipped)
    }

    /// QEMU 7.2 and 10.0.2 virtio-mmio Version 2 (measured): every select past word 1 repeats word 1.
    static let qemuMMIOModernConsole = [0x3000_0006, 0x101, 0x101, 0x101, 0x101, 0x101, 0x101, 0x101]
    /// The same console on virtio-pci (and on virtio-mmio Version 1): zero past word 1.
    static let qemuPCIConsole = [0x3000_0006, 0x101, 0, 0, 0, 0, 0, 0]

    @Test func featureWordsBeyondTheDefinedBitsFail() throws {
        let pci = Self.device("virtio1", id: 3, .pci, words: Self.qemuPCIConsole)
        let mmio = Self.device("virtio2", id: 3, .mmio, words: Self.qemuMMIOModernConsole, version: 2)
        #expect(try #require(Make.score(.definedFeatureWords(.any), Make.evidence(pci))).verdict == .pass)
        let result = try #require(Make.score(.definedFeatureWords(.any), Make.evidence(pci, mmio)))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("virtio2 (console) presents non-zero feature words beyond the defined bits (word 1 is the last with any): word 2 = 0x101, word 3 = 0x101"),
                "\(result.reason)")
        #expect(result.evidence.contains("virtio2 (console): feature words 0:0x30000006 1:0x101 2:0x101 3:0x101 4:0x101 5:0x101 6:0x101 7:0x101"))
    }

    @Test func theDefinedRangeFollowsTheDeviceType() throws {
        // virtio-net defines bits up to 70 (VIRTIO 1.4): word 2 may hold bits, word 3 may not.
        #expect(CheckEvaluator.lastDefinedWord(1) == 2)
        #expect(CheckEvaluator.lastDefinedWord(4) == 1)
        let net = Self.device("virtio3", id: 1, .pci, words: [0x1, 0x1, 0x2, 0, 0, 0, 0, 0])
        #expect(try #require(Make.score(.definedFeatureWords(.any), Make.evidence(net))).verdict == .pass)
        let stray = Self.device("virtio3", id: 1, .pci, words: [0x1, 0x1, 0x2, 0x8000_0000, 0, 0, 0, 0])
        #expect(try #require(Make.score(.definedFeatureWords(.any), Make.evidence(stray))).reason.contains("word 3 = 0x80000000"))
    }

    @Test func oneLegacyWordCannotShowWhatLiesBeyond() throws {
        let legacy = Self.device("virtio1", .pci, words: [0x3900_0000])
        let result = try #require(Make.score(.definedFeatureWords(.any), Make.evidence(legacy)))
        #expect(result.verdict == .skipped && result.reason.contains("only 1 feature word(s) readable"), "\(result.reason)")
        #expect(try #require(Make.score(.definedFeatureWords(.any), Make.evidence(Self.device("virtio2", .pci)))).verdict == .skipped)
    }
}
