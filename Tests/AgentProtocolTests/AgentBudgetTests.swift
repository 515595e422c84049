import AVPSModel
import Foundation
import Synchronization
import Testing
@testable import AgentProtocol

/// A peer that answers every read with `prefix` once, then the same frames for ever: the agent
/// that floods the host with well-formed frames that answer nothing.
final class EndlessStream: ByteStream {
    private let prefix: Mutex<[UInt8]>
    private let repeating: [UInt8]
    let delivered = Mutex(0)

    init(prefix: String, repeating: String) {
        self.prefix = Mutex(Array(prefix.utf8))
        self.repeating = Array(repeating.utf8)
    }

    func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        let head = prefix.withLock { value -> [UInt8] in
            let head = Array(value.prefix(maxBytes))
            value.removeFirst(head.count)
            return head
        }
        let bytes = head.isEmpty ? Array(repeating.prefix(maxBytes)) : head
        delivered.withLock { $0 += bytes.count }
        return bytes
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {}
    func close() {}
}

@Suite("Agent budgets")
struct AgentBudgetTests {
    static let ready = #"{"event":"ready","agent_version":"0.1.0","protocol_version":1}"# + "\n"
    /// A 64 KiB well-formed event the host does not wait for.
    static let bigEvent = #"{"event":"log","text":""# + String(repeating: "a", count: 64 * 1024 - 30) + "\"}\n"

    @Test("endless 64 KiB frames that answer nothing end the request as 'agent flooded', within the byte budget")
    func floodOfBigFrames() async throws {
        let stream = EndlessStream(prefix: Self.ready, repeating: Self.bigEvent)
        let client = AgentClient(stream: stream)
        _ = try await client.waitForReady(deadline: .now + .seconds(5))
        await #expect(throws: AgentError.self) { try await client.hello(deadline: .now + .seconds(60)) }
        do {
            _ = try await client.hello(deadline: .now + .seconds(60))
        } catch {
            guard case .flooded(let what, _, let bytes) = error else { Issue.record("\(error)"); return }
            #expect(what.contains("hello"))
            #expect(bytes <= AgentBudget.standard.bytesPerRequest + 64 * 1024)
            #expect(error.description.contains("agent flooded"))
        }
        // Both requests together read about two byte budgets, and kept at most the transcript budget.
        let read = stream.delivered.withLock { $0 }
        #expect(read < 3 * AgentBudget.standard.bytesPerRequest)
        let kept = await client.transcript.reduce(0) { $0 + $1.frame.utf8.count }
        #expect(kept <= AgentBudget.standard.transcriptBytes + 128 * 1024, "transcript kept \(kept) bytes")
    }

    @Test("many small frames that answer nothing are counted against the frame budget")
    func floodOfSmallFrames() async throws {
        let stale = #"{"id":999,"result":{}}"# + "\n"
        let client = AgentClient(stream: EndlessStream(prefix: Self.ready, repeating: String(repeating: stale, count: 50)))
        _ = try await client.waitForReady(deadline: .now + .seconds(5))
        do {
            _ = try await client.hello(deadline: .now + .seconds(60))
            Issue.record("no flood detected")
        } catch {
            guard case .flooded(_, let frames, _) = error else { Issue.record("\(error)"); return }
            #expect(frames == AgentBudget.standard.unexpectedFramesPerRequest + 1)
        }
    }

    @Test("a 1 MB agent error message is capped before it is copied anywhere")
    func hugeErrorMessageIsCapped() async throws {
        let message = String(repeating: "E", count: 1_000_000)
        let frame = #"{"id":1,"error":{"code":"EIO","message":""# + message + "\"}}\n"
        let client = AgentClient(stream: EndlessStream(prefix: frame, repeating: ""))
        do {
            _ = try await client.hello(deadline: .now + .seconds(5))
            Issue.record("error frame not thrown")
        } catch {
            guard case .remote(let code, let text) = error else { Issue.record("\(error)"); return }
            #expect(code == "EIO")
            #expect(text.utf8.count < 2 * AgentBudget.standard.messageCharacters)
            #expect(text.contains("1000000 bytes, cut"))
        }
    }

    @Test("probe reasons and string facts are capped")
    func probeStringsAreCapped() {
        let long = String(repeating: "r", count: 200_000)
        let result = ProbeResult(name: "entropy.rate", device: "virtio0", status: .error,
                                 facts: ["note": .string(long), "list": .list([.string(long), .int(1)])], reason: long)
        let capped = AgentBudget.standard.capped(result)
        #expect((capped.reason?.count ?? 0) < 1100)
        guard case .string(let note)? = capped.facts["note"], case .list(let items)? = capped.facts["list"],
              case .string(let first)? = items.first else { Issue.record("facts lost"); return }
        #expect(note.count < 4200 && first.count < 4200)
        #expect(items.last == .int(1))
    }

    @Test("an inventory above the protocol's 512-device limit is refused, naming the limit")
    func oversizedInventory() async throws {
        let device = #"{"name":"virtio0","device_id":4,"vendor_id":6900,"transport":"pci","negotiated_features":[],"status":15,"driver":null}"#
        let devices = Array(repeating: device, count: 513).joined(separator: ",")
        let frame = #"{"id":1,"result":{"devices":["# + devices + "]}}\n"
        let client = AgentClient(stream: EndlessStream(prefix: frame, repeating: ""))
        do {
            _ = try await client.inventory(deadline: .now + .seconds(5))
            Issue.record("513 devices accepted")
        } catch {
            #expect(error.description.contains("513 devices"), "\(error)")
            #expect(error.description.contains("512"), "\(error)")
        }
    }

    @Test("a timeout names the whole wait, not the last read")
    func timeoutNamesTheRealDuration() async throws {
        let client = AgentClient(stream: TrickleStream())
        do {
            _ = try await client.hello(deadline: .now + .milliseconds(1500))
            Issue.record("no timeout")
        } catch {
            guard case .timeout(_, let seconds) = error else { Issue.record("\(error)"); return }
            #expect(seconds >= 1.4, "\(error)")
        }
    }
}

/// Sends a space every 100 ms (never a newline), then times out the way a real socket read does:
/// with the duration of its own last read only.
final class TrickleStream: ByteStream {
    func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        let start = ContinuousClock.now
        if ContinuousClock.now + .milliseconds(100) >= deadline {
            try? await Task.sleep(until: deadline)
            throw .timeout(waitingFor: waitingFor, seconds: (ContinuousClock.now - start).seconds)
        }
        try? await Task.sleep(for: .milliseconds(100))
        return [UInt8(ascii: " ")]
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {}
    func close() {}
}
