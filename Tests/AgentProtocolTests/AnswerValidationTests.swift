import AVPSModel
import Foundation
import Testing
@testable import AgentProtocol

/// The agent's word is checked against the protocol: VIRTIO ranges, answers that match their
/// request, and no host-side facts from the guest.
@Suite("Agent answers validated")
struct AnswerValidationTests {
    static func inventory(_ device: String) -> AgentClient {
        AgentClient(stream: EndlessStream(prefix: #"{"id":1,"result":{"devices":["# + device + "]}}\n", repeating: ""))
    }

    static func device(status: Int = 15, id: Int = 4, bits: String = "[28,32]") -> String {
        #"{"name":"virtio0","device_id":\#(id),"vendor_id":6900,"transport":"pci","negotiated_features":\#(bits),"status":\#(status),"driver":"virtio_rng"}"#
    }

    @Test("status above 8 bits, device id outside 1...63 and feature bits >= 128 are refused, naming the value",
          arguments: [(device(status: 0x10F), "status 0x10f"), (device(id: 64), "device id 64"), (device(id: 0), "device id 0"),
                      (device(bits: "[28,200]"), "feature bit 200")])
    func ranges(_ record: String, _ phrase: String) async {
        do {
            _ = try await Self.inventory(record).inventory(deadline: .now + .seconds(5))
            Issue.record("accepted: \(record)")
        } catch {
            #expect(error.description.contains(phrase), "\(error)")
        }
    }

    @Test("more than 8 feature words, a word above 32 bits and a PCI capability type outside 1...15 are refused",
          arguments: [
              (#"{"name":"virtio0","device_id":4,"vendor_id":6900,"transport":"pci","negotiated_features":[],"status":15,"driver":null,"offered":{"bits":[],"words":[0,0,0,0,0,0,0,0,0],"method":"x"}}"#, "9 feature words"),
              (#"{"name":"virtio0","device_id":4,"vendor_id":6900,"transport":"pci","negotiated_features":[],"status":15,"driver":null,"offered":{"bits":[],"words":[4294967296],"method":"x"}}"#, "feature word 4294967296"),
              (#"{"name":"virtio0","device_id":4,"vendor_id":6900,"transport":"pci","negotiated_features":[],"status":15,"driver":null,"pci_capabilities":[1,16]}"#, "cfg_type 16"),
          ])
    func transportFields(_ record: String, _ phrase: String) async {
        do {
            _ = try await Self.inventory(record).inventory(deadline: .now + .seconds(5))
            Issue.record("accepted: \(record)")
        } catch {
            #expect(error.description.contains(phrase), "\(error)")
        }
    }

    @Test("a valid record passes")
    func valid() async throws {
        let devices = try await Self.inventory(Self.device()).inventory(deadline: .now + .seconds(5))
        #expect(devices.first?.status == 15)
    }

    static func probeAnswer(_ result: String) -> AgentClient {
        AgentClient(stream: EndlessStream(prefix: #"{"id":1,"result":"# + result + "}\n", repeating: ""))
    }

    @Test("a probe answer for another probe or device is a protocol error")
    func mismatchedAnswer() async {
        let request = ProbeRequest(name: "entropy.rate", device: "virtio0")
        for answer in [#"{"name":"console.transfer","device":"virtio0","status":"ok","facts":{}}"#,
                       #"{"name":"entropy.rate","device":"virtio9","status":"ok","facts":{}}"#] {
            do {
                _ = try await Self.probeAnswer(answer).probe(request, deadline: .now + .seconds(5))
                Issue.record("accepted \(answer)")
            } catch {
                #expect(error.description.contains("the request was 'entropy.rate' on virtio0"), "\(error)")
            }
        }
    }

    @Test("host-side facts sent by the agent are removed and the result becomes an error saying so")
    func forgedHostFacts() async throws {
        let request = ProbeRequest(name: "console.transfer", device: "virtio1")
        let answer = #"{"name":"console.transfer","device":"virtio1","status":"ok","facts":{"host_pattern_ok":true,"bytes_written":65536}}"#
        let result = try await Self.probeAnswer(answer).probe(request, deadline: .now + .seconds(5))
        #expect(result.status == .error)
        #expect(result.facts["host_pattern_ok"] == nil)
        #expect(result.facts["bytes_written"] == .int(65536))
        #expect(result.reason?.contains("host_pattern_ok") == true)
    }
}
