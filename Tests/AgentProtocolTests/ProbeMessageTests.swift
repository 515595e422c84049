import AVPSModel
import AgentProtocol
import Foundation
import Testing

/// The host's decoding of the new inventory members and of `probe` results, against the same
/// golden frames the C agent is held to.
@Suite("probe and transport messages")
struct ProbeMessageTests {
    private struct Response<R: Decodable>: Decodable { var result: R }

    private func decode<R: Decodable>(_ name: String, as type: R.Type) throws -> R {
        try JSONDecoder().decode(Response<R>.self, from: try AgentHarness.golden(name)).result
    }

    @Test func inventoryCarriesOfferedFeaturesLegacyFlagAndConfig() throws {
        // virtio10 is the fixture's deliberately broken entry (null device id), which the host's
        // record cannot hold; decode the others one by one.
        let frame = try AgentHarness.object(try AgentHarness.golden("inventory-response.json"))
        let raw = try #require((frame["result"] as? [String: Any])?["devices"] as? [[String: Any]])
        let devices = try raw.filter { !($0["device_id"] is NSNull) }.map {
            try JSONDecoder().decode(VirtioDeviceRecord.self, from: JSONSerialization.data(withJSONObject: $0))
        }
        let byName = Dictionary(uniqueKeysWithValues: devices.map { ($0.name, $0) })

        let rng = try #require(byName["virtio0"])
        #expect(rng.offered?.method == "legacy-io-bar")
        #expect(rng.offered?.words == [0x7900_0000])  // the legacy header's one word: 24, 27, 28, 29, 30
        #expect(rng.pciCapabilities == [1, 2, 3, 4, 5])
        #expect(rng.legacyInterface == true)  // the fixture's resource table: BAR0 is I/O
        #expect(byName["virtio1"]?.legacyInterface == false)  // BAR0 unused
        #expect(byName["virtio3"]?.pciCapabilities == nil)  // MMIO
        #expect(rng.offered?.bits == FeatureBits([24, 27, 28, 29, 30]))
        #expect(rng.legacy == false)  // modern caps present: Linux drives it through them
        #expect(rng.config == [:])

        let blk = try #require(byName["virtio1"])
        #expect(blk.offered?.bits == nil)
        #expect(blk.offered?.unavailableReason?.contains("not on sysfs") == true)

        let net = try #require(byName["virtio2"])
        #expect(net.legacy == true)
        #expect(net.offered?.bits?.contains(6) == true)  // GSO: only the legacy view shows it
        #expect(net.config?["mac"] == .string("52:54:00:12:34:56"))
        #expect(net.config?["status"] == .int(1))
        #expect(net.config?["mtu"] == nil)  // MTU not offered: field absent, not guessed

        let mmio = try #require(byName["virtio3"])
        #expect(mmio.offered?.bits == nil && mmio.offered?.unavailableReason != nil)
    }

    @Test func probeResultsDecode() throws {
        let input = try decode("probe-input-caps-response.json", as: ProbeResult.self)
        #expect(input.status == .ok && input.reason == nil)
        #expect(input.facts["name"] == .string("QEMU Virtio Keyboard"))
        #expect(input.facts["key_count"] == .int(10))

        let ports = try decode("probe-console-ports-response.json", as: ProbeResult.self)
        #expect(ports.facts["names"] == .list([.string("org.avps.agent.0"), .string("org.example.log")]))

        let iommu = try decode("probe-iommu-no-driver-response.json", as: ProbeResult.self)
        #expect(iommu.status == .unavailable && iommu.facts.isEmpty)
        #expect(iommu.reason?.contains("no virtio-iommu driver") == true)

        let unknown = try decode("probe-unknown-response.json", as: ProbeResult.self)
        #expect(unknown.status == .error)
    }

    @Test func probeRequestEncodesLikeTheGoldenRequest() throws {
        let request = ProbeRequest(name: "input.caps", device: "virtio5", params: [:])
        let data = try JSONEncoder().encode(request)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let golden = try AgentHarness.object(try AgentHarness.golden("probe-input-caps-request.jsonl"))
        let params = try #require(golden["params"] as? [String: Any])
        #expect(AgentHarness.jsonEqual(object, params))
    }
}
