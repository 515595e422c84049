@testable import AgentProtocol
import Foundation
import Testing

/// Reading autonomous-mode evidence back from a console log (PROTOCOL.md 8).
struct ConsoleEvidenceTests {
    /// Lines as the agent prints them, `chunk` payload bytes per line.
    static func lines(seq: Int, kind: Character, _ text: String, chunk: Int = 8) -> [String] {
        let bytes = Array(text.utf8)
        let crc = String(CRC32.checksum(bytes), radix: 16)
        let padded = String(repeating: "0", count: 8 - crc.count) + crc
        let parts = max(1, (bytes.count + chunk - 1) / chunk)
        return (0..<parts).map { part in
            let slice = bytes[(part * chunk)..<min(bytes.count, (part + 1) * chunk)]
            return "AVPS-EV1 \(seq) \(kind) \(part + 1)/\(parts) \(padded) " + String(decoding: slice, as: UTF8.self)
        }
    }

    @Test("CRC-32 is zlib's: the check value of \"123456789\" is cbf43926")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test("frames survive CRLF line ends, kernel lines in between, a farm's prefix and chunks ending in a space")
    func reassembles() {
        var log = Self.lines(seq: 0, kind: "E", #"{"event":"ready"}"#)
        log.append("[    1.234] random: crng init done")
        log += Self.lines(seq: 1, kind: "Q", #"{"id":1,"method":"hello"} "#).map { "lava-12: " + $0 }
        log += Self.lines(seq: 2, kind: "A", #"{"id":1,"result":{}}"#)
        log.append("AVPS-EV1-END 3")
        let evidence = ConsoleEvidence(log: log.joined(separator: "\r\n") + "\r\n")
        #expect(evidence.frames.map(\.seq) == [0, 1, 2])
        #expect(evidence.frames[1].text == #"{"id":1,"method":"hello"} "#)
        #expect(evidence.damaged.isEmpty)
        #expect(evidence.endCount == 3)
    }

    @Test("a missing part, a mangled line and a frame never printed are named, not believed")
    func namesDamage() {
        var log = Self.lines(seq: 0, kind: "E", #"{"event":"ready"}"#)
        var answer = Self.lines(seq: 2, kind: "A", #"{"id":1,"result":{"x":1}}"#)
        answer.remove(at: 1)
        log += answer
        var mangled = Self.lines(seq: 3, kind: "Q", #"{"id":2,"method":"inventory"}"#)
        mangled[0] = mangled[0].replacingOccurrences(of: "id", with: "ib")
        log += mangled
        log.append("AVPS-EV1-END 5")
        let evidence = ConsoleEvidence(log: log.joined(separator: "\n"))
        #expect(evidence.frames.map(\.seq) == [0])
        #expect(evidence.damaged[1]?.contains("never reached the console") == true)
        #expect(evidence.damaged[2]?.contains("lacks part(s) 2") == true)
        #expect(evidence.damaged[3]?.contains("checksum") == true)
        #expect(evidence.damaged[4]?.contains("never reached") == true, "frames up to the END count are expected")
    }

    @Test("a guest that boots again starts over: only the last run counts")
    func laterRunWins() {
        let first = Self.lines(seq: 0, kind: "E", #"{"event":"ready","n":1}"#) + ["AVPS-EV1-END 1"]
        let second = Self.lines(seq: 0, kind: "E", #"{"event":"ready","n":2}"#)
        let evidence = ConsoleEvidence(log: (first + second).joined(separator: "\n"))
        #expect(evidence.frames.map(\.text) == [#"{"event":"ready","n":2}"#])
        #expect(evidence.endCount == nil, "the second run has not finished")
    }

    @Test("the playback answers a recorded request under the host's id and refuses the rest with not_recorded")
    func playback() async throws {
        var log = Self.lines(seq: 0, kind: "E", #"{"event":"ready","agent_version":"0.1.0","protocol_version":1}"#, chunk: 200)
        log += Self.lines(seq: 1, kind: "Q", #"{"params":{"protocol_version":1},"id":1,"method":"hello"}"#, chunk: 200)
        log += Self.lines(seq: 2, kind: "A", #"{"id":1,"result":{"agent_version":"0.1.0","protocol_version":1,"kernel_release":"6.1","machine":"x86_64"}}"#, chunk: 200)
        log.append("AVPS-EV1-END 3")
        let client = AgentClient(stream: RecordedAgentStream(ConsoleEvidence(log: log.joined(separator: "\n"))))
        let deadline = ContinuousClock.now + .seconds(5)
        _ = try await client.waitForReady(deadline: deadline)
        let identity = try await client.hello(deadline: deadline)
        #expect(identity.kernelRelease == "6.1")
        await #expect {
            _ = try await client.inventory(deadline: deadline)
        } throws: { error in
            guard case AgentError.remote(let code, let message) = error else { return false }
            return code == RecordedAgentStream.notRecorded && message.contains("did not run this request")
        }
    }
}
