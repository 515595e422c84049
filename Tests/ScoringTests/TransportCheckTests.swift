@testable import Scoring
import AVPSModel
import Testing

/// `standard_transport` (AVPS2-GEN-05): PCI and MMIO pass, a device on no recognised transport
/// or on channel I/O fails and is named.
@Suite struct TransportCheckTests {
    static func device(_ name: String, _ transport: VirtioTransport) -> VirtioDeviceRecord {
        var device = Make.device(name, id: 4)
        device.transport = transport
        return device
    }

    @Test func pciAndMmioPass() throws {
        let result = try #require(Make.score(.standardTransport(.any), Make.evidence(Self.device("virtio0", .pci), Self.device("virtio1", .mmio))))
        #expect(result.verdict == .pass)
        #expect(result.evidence.contains { $0.hasSuffix("transport mmio") })
    }

    @Test func unknownTransportFailsNamingTheDevice() throws {
        let result = try #require(Make.score(.standardTransport(.any), Make.evidence(Self.device("virtio0", .pci), Self.device("virtio7", .unknown))))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("virtio7") && result.reason.contains("no standard VIRTIO transport"), "\(result.reason)")
    }

    @Test func channelIOFails() throws {
        let result = try #require(Make.score(.standardTransport(.any), Make.evidence(Self.device("virtio0", .ccw))))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("ccw"))
    }

    @Test func noDeviceIsNotApplicable() throws {
        #expect(try #require(Make.score(.standardTransport(.any), Make.evidence())).verdict == .notApplicable)
    }
}
