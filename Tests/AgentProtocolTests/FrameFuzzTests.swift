import AVPSModel
import Foundation
import Testing
@testable import AgentProtocol

/// Seeded fuzzing of the host's frame decoding: mutations of valid agent traffic, cut into random
/// chunks. Nothing may crash or hang, and every failure must be a typed `AgentError` of a kind
/// that describes the peer's bytes (never an I/O error or a timeout on an in-memory stream).
@Suite("Frame decoder fuzzing", .timeLimit(.minutes(4)))
struct FrameFuzzTests {
    static let iterations = 100_000

    static let shortFrames = [
        AgentTraffic.ready, #"{"id":1,"result":{}}"# + "\n", #"{"id":2,"error":{"code":"bad_request"}}"# + "\r\n",
        #"{"event":"ready"}"# + "\n", "\n",
    ]

    @Test("LineFramer agrees with a reference splitter on 100,000 mutated streams")
    func lineFramerMatchesReference() async {
        // Pure CPU: on a thread of its own, off the cooperative pool that timing tests need.
        let (threw, issues) = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.framerFuzz()) }.start()
        }
        #expect(issues.isEmpty, "\(issues)")
        // Both paths must have been exercised, or the mutations are too tame to mean anything.
        #expect(threw > Self.iterations / 100 && threw < Self.iterations * 99 / 100, "\(threw) refusals")
    }

    /// Feeds mutated streams in random chunks to a framer with a 64-byte limit and compares it
    /// with splitting the whole input at newlines. Returns the refusals and the first disagreement.
    static func framerFuzz() -> (threw: Int, issues: [String]) {
        let limit = 64
        var rng = SeededRandom(seed: 0xF4A3E)
        var threw = 0
        for iteration in 0..<iterations {
            let valid = (0..<Int.random(in: 1...6, using: &rng)).map { _ in shortFrames.randomElement(using: &rng) ?? "" }.joined()
            let input = ByteMutator.mutate(Array(valid.utf8), using: &rng)
            var framer = LineFramer(limit: limit)
            var frames: [[UInt8]] = []
            var failure: AgentError?
            for chunk in ByteMutator.chunks(input, using: &rng) where failure == nil {
                do throws(AgentError) { frames += try framer.append(chunk) } catch { failure = error }
            }
            let segments = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let terminated = segments.dropLast()
            if let failure {
                threw += 1
                guard case .protocolViolation(let message) = failure, message.contains("limit") else {
                    return (threw, ["iteration \(iteration): unexpected \(failure)"])
                }
                if !segments.contains(where: { $0.count >= limit }) {
                    return (threw, ["iteration \(iteration): refused a stream without an oversized line: \(input)"])
                }
                continue
            }
            if terminated.contains(where: { $0.count >= limit }) {
                return (threw, ["iteration \(iteration): accepted an oversized frame: \(input)"])
            }
            let expected = terminated.map { line in Array(line.last == 0x0D ? line.dropLast() : line[...]) }
            if frames != expected || framer.pendingByteCount != (segments.last?.count ?? 0) {
                return (threw, ["iteration \(iteration): framer disagrees with the reference on \(input)"])
            }
        }
        return (threw, [])
    }

    @Test("AgentClient routes 100,000 mutated sessions without crashing; every error is typed")
    func clientSessionsFailTyped() async {
        var rng = SeededRandom(seed: 0xA9E47)
        let session = Array((AgentTraffic.ready + AgentTraffic.hello + AgentTraffic.inventory).utf8)
        var tally: [String: Int] = [:]
        for iteration in 0..<Self.iterations {
            let input = ByteMutator.mutate(session, using: &rng)
            let client = AgentClient(stream: ChunkStream(ByteMutator.chunks(input, using: &rng)))
            let deadline = ContinuousClock.now + .seconds(5)
            do throws(AgentError) {
                _ = try await client.waitForReady(deadline: deadline)
                _ = try await client.hello(deadline: deadline)
                _ = try await client.inventory(deadline: deadline)
                tally["ok", default: 0] += 1
            } catch {
                switch error {
                case .protocolViolation: tally["protocol violation", default: 0] += 1
                case .closed: tally["closed", default: 0] += 1
                case .remote: tally["remote", default: 0] += 1
                case .timeout, .io, .cancelled, .flooded:
                    Issue.record("iteration \(iteration): \(error) cannot come from in-memory bytes"); return
                }
            }
        }
        #expect(tally["ok", default: 0] > 0 && tally["protocol violation", default: 0] > 0 && tally["closed", default: 0] > 0,
                "\(tally)")
    }
}

/// A short, valid session from the agent's side: ready, hello (id 1), inventory with one device (id 2).
enum AgentTraffic {
    static let ready = #"{"event":"ready","agent_version":"0.1.0","protocol_version":1}"# + "\n"
    static let hello = #"{"id":1,"result":{"agent_version":"0.1.0","protocol_version":1,"kernel_release":"6.1.0","machine":"x86_64"}}"# + "\n"
    static let inventory = #"{"id":2,"result":{"devices":[{"name":"virtio1","device_id":2,"vendor_id":6900,"transport":"pci","#
        + #""bus_address":"0000:00:04.0","pci_device_id":4162,"negotiated_features":[1,2,5,6,9,32],"status":15,"#
        + #""driver":"virtio_blk","offered":{"bits":null,"method":null,"unavailable_reason":"not on sysfs"},"#
        + #""legacy":false,"queues":null,"config":null}]}}"# + "\n"
}
