import Foundation
import Synchronization

/// An agent played back from autonomous-mode evidence: `AgentClient` talks to it as to a live
/// agent, so every answer passes the same decoding and validation as in an attached run.
///
/// A request is answered with the recorded answer to the same request (same method and
/// parameters; the id is rewritten). A request the plan never ran, or whose answer was damaged on
/// the console, gets an error frame with code `not_recorded` and the reason.
public final class RecordedAgentStream: ByteStream {
    /// Error code of the answer to a request the evidence holds no intact answer for.
    public static let notRecorded = "not_recorded"

    private struct State {
        var outgoing: [UInt8]
        var inbound: [UInt8] = []
    }

    private let answers: [String: String]
    private let unusable: [String: String]
    private let finished: Bool
    private let state: Mutex<State>

    public init(_ evidence: ConsoleEvidence) {
        var answers: [String: String] = [:]
        var unusable: [String: String] = [:]
        let bySeq = Dictionary(evidence.frames.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        for frame in evidence.frames where frame.kind == "Q" {
            guard let key = Self.object(Array(frame.text.utf8)).flatMap(Self.key) else { continue }
            if let answer = bySeq[frame.seq + 1], answer.kind == "A" {
                answers[key] = answer.text
            } else {
                unusable[key] = evidence.damaged[frame.seq + 1] ?? "its answer is not in the console log"
            }
        }
        self.answers = answers
        self.unusable = unusable
        finished = evidence.endCount != nil
        let ready = evidence.frames.first { $0.kind == "E" }.map { Array($0.text.utf8) + [10] } ?? []
        state = Mutex(State(outgoing: ready))
    }

    public func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        state.withLock { state in
            let bytes = Array(state.outgoing.prefix(maxBytes))
            state.outgoing.removeFirst(bytes.count)
            return bytes
        }
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {
        state.withLock { state in
            state.inbound.append(contentsOf: bytes)
            while let newline = state.inbound.firstIndex(of: 10) {
                let frame = Array(state.inbound[..<newline])
                state.inbound.removeFirst(newline + 1)
                state.outgoing.append(contentsOf: Array(answer(to: frame).utf8) + [10])
            }
        }
    }

    public func close() {}

    private func answer(to request: [UInt8]) -> String {
        guard let object = Self.object(request), let id = object["id"] as? Int, let key = Self.key(object) else {
            return #"{"id":null,"error":{"code":"bad_request","message":"the playback could not read the request"}}"#
        }
        if let recorded = answers[key], let rewritten = Self.withID(id, recorded) { return rewritten }
        let why = unusable[key].map { "the autonomous run's answer is unusable: \($0)" }
            ?? (finished ? "the autonomous plan did not run this request"
                : "the console log ends before the agent answered this request (the plan did not finish)")
        let error: [String: Any] = ["id": id, "error": ["code": Self.notRecorded, "message": why]]
        guard let data = try? JSONSerialization.data(withJSONObject: error, options: [.sortedKeys]) else {
            return #"{"id":null,"error":{"code":"not_recorded","message":"unusable"}}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func object(_ frame: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any]
    }

    /// Method and parameters in one canonical form (keys sorted, id dropped).
    static func key(_ request: [String: Any]) -> String? {
        var object = request
        object["id"] = nil
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The agent writes the id first (`{"id":7,...`); the playback answers under the host's id.
    static func withID(_ id: Int, _ answer: String) -> String? {
        let prefix = #"{"id":"#
        guard answer.hasPrefix(prefix) else { return nil }
        let rest = answer.dropFirst(prefix.count).drop { $0.isNumber }
        return prefix + String(id) + rest
    }
}
