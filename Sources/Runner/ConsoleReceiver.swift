import AVPSModel
import AgentProtocol
import Foundation

/// Host end of the `console.transfer` probe: connects to the Unix socket QEMU serves for a named
/// virtio-serial port, collects what the guest writes and checks it against the agent's seeded
/// xorshift32 stream (PROTOCOL.md 6.3). Started before the probe request, so the port is open
/// when the agent writes; stopped with the probe.
struct ConsoleReceiver: Sendable {
    let stream: UnixSocketStream
    let expected: [UInt8]

    /// The bytes the agent writes for `seed` (seed 0 means 0x9e3779b9, as in the agent).
    static func pattern(seed: UInt32, count: Int) -> [UInt8] {
        var state = seed == 0 ? 0x9e37_79b9 : seed
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static func connect(path: String, seed: UInt32, count: Int, deadline: ContinuousClock.Instant) async throws(AgentError) -> ConsoleReceiver {
        ConsoleReceiver(stream: try await UnixSocketStream.connect(path: path, deadline: deadline),
                        expected: pattern(seed: seed, count: count))
    }

    /// Host facts for a declared host end that never accepted a connection (nothing listens,
    /// or the path does not exist within the deadline): the platform delivered no byte. nil for
    /// anything else (a path the harness cannot use), which stays the harness's error.
    static func platformFault(_ error: AgentError, socket: String) -> [String: FactValue]? {
        let why: String
        switch error {
        case .timeout: why = "nothing accepted a connection on \(socket)"
        case .io(let operation, let code) where [ECONNREFUSED, ENOENT].contains(code):
            why = "\(operation): \(String(cString: strerror(code)))"
        default: return nil
        }
        return ["host_bytes_received": .int(0), "host_pattern_ok": .bool(false),
                "host_error": .string("the host end of the port delivered nothing: \(why)")]
    }

    /// Reads until every expected byte arrived, the deadline, or EOF; then closes the socket.
    /// Facts: `host_bytes_received` and `host_pattern_ok` (all bytes, in order, nothing extra).
    func receive(deadline: ContinuousClock.Instant) async -> [String: FactValue] {
        defer { stream.close() }
        var received: [UInt8] = []
        while received.count < expected.count {
            guard let chunk = try? await stream.read(maxBytes: 65536, deadline: deadline, waitingFor: "console port bytes"),
                  !chunk.isEmpty else { break }
            received += chunk
        }
        var facts: [String: FactValue] = ["host_bytes_received": .int(Int64(received.count)), "host_pattern_ok": .bool(received == expected)]
        if received != expected {
            let differs = zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            facts["host_error"] = .string("the host received \(received.count) of \(expected.count) bytes"
                + (differs.map { ", the first wrong one at offset \($0)" } ?? ""))
        }
        return facts
    }
}
