import AVPSModel
import Foundation

/// Talks to the in-guest agent over any `ByteStream`: one request, one response, correlated by id.
///
/// Frames that are not the awaited response (the `ready` event, or stale bytes a virtio-serial port
/// kept from an earlier session) are recorded in the transcript and otherwise ignored, within the
/// request's `AgentBudget`: an agent that floods the host is stopped, not accumulated.
public actor AgentClient {
    private let stream: any ByteStream
    private var framer = LineFramer()
    private var pending: [[UInt8]] = []
    private var nextID = 1
    public nonisolated let budget: AgentBudget
    /// What the current request (or ready wait) received so far, against `budget`.
    private var requestBytes = 0
    private var requestUnexpectedFrames = 0
    /// Zero of the transcript's `at` times.
    public nonisolated let started: ContinuousClock.Instant
    private var lines: [TranscriptLine] = []
    private var keptTranscriptBytes = 0
    private var omittedFrames = 0
    private var omittedBytes = 0
    public private(set) var ready: ReadyEvent?

    /// Every frame in both directions, for the run's artifacts, up to `budget.transcriptBytes`;
    /// a last line says how many frames were left out.
    public var transcript: [TranscriptLine] {
        guard omittedFrames > 0 else { return lines }
        let note = "…transcript budget of \(budget.transcriptBytes) bytes reached: \(omittedFrames) later frames "
            + "(\(omittedBytes) bytes) not kept"
        return lines + [TranscriptLine(at: lines.last?.at ?? 0, from: "host", frame: note)]
    }

    public struct TranscriptLine: Sendable, Codable {
        /// Seconds since `started` (normally when the client was created).
        public var at: Double
        /// "host" or "guest".
        public var from: String
        public var frame: String
    }

    /// - Parameter started: zero of the transcript times; a client that takes over from another
    ///   (the guest rebooted) passes the first one's, so one target's transcript reads as one.
    public init(stream: any ByteStream, started: ContinuousClock.Instant = .now, budget: AgentBudget = .standard) {
        self.stream = stream
        self.started = started
        self.budget = budget
    }

    /// Waits for the agent's unsolicited `ready` frame (it proves the agent runs and its channel is open).
    public func waitForReady(deadline: ContinuousClock.Instant) async throws(AgentError) -> ReadyEvent {
        let since = ContinuousClock.now
        startBudget()
        let waitingFor = "the agent's ready event"
        while ready == nil {
            let frame = try await nextFrame(deadline: deadline, waitingFor: waitingFor, since: since)
            try route(frame, awaitingID: nil)
            if ready == nil { try countUnexpected(waitingFor: waitingFor) }
        }
        guard let event = ready else { throw .protocolViolation("ready event lost") }
        return event
    }

    public func hello(deadline: ContinuousClock.Instant) async throws(AgentError) -> GuestIdentity {
        try await call("hello", params: HelloParams(), deadline: deadline)
    }

    public func inventory(deadline: ContinuousClock.Instant) async throws(AgentError) -> [VirtioDeviceRecord] {
        let result: InventoryResult = try await call("inventory", params: NoParams(), deadline: deadline)
        guard result.devices.count <= budget.inventoryDevices else {
            throw .protocolViolation("inventory lists \(result.devices.count) devices, more than the protocol's limit of "
                + "\(budget.inventoryDevices) (PROTOCOL.md 6.2)")
        }
        let problems = result.devices.flatMap(AnswerValidation.problems)
        if !problems.isEmpty {
            throw .protocolViolation("inventory reports values VIRTIO does not allow: " + problems.prefix(5).joined(separator: "; "))
        }
        return result.devices
    }

    /// Runs one probe in the guest. A probe that cannot measure comes back with status
    /// `unavailable` (not as an error); only protocol trouble throws.
    public func probe(_ request: ProbeRequest, deadline: ContinuousClock.Instant) async throws(AgentError) -> ProbeResult {
        let result: ProbeResult = try await call("probe", params: request, deadline: deadline)
        if let mismatch = AnswerValidation.mismatch(result, request) { throw .protocolViolation(mismatch) }
        return AnswerValidation.refusingHostFacts(budget.capped(result))
    }

    /// Asks the guest to power off; returns once the agent acknowledged (the guest then shuts down).
    public func poweroff(deadline: ContinuousClock.Instant) async throws(AgentError) {
        let _: EmptyResult = try await call("poweroff", params: NoParams(), deadline: deadline)
    }

    /// Sends one request and returns its decoded result.
    public func call<P: Encodable, R: Decodable>(
        _ method: String, params: P, deadline: ContinuousClock.Instant
    ) async throws(AgentError) -> R {
        let id = nextID
        nextID += 1
        let bytes = try RequestFrame.encoded(id: id, method: method, params: params)
        record(from: "host", bytes: Array(bytes))
        let since = ContinuousClock.now
        startBudget()
        let waitingFor = "the agent's \(method) response"
        do {
            try await stream.write(Array(bytes) + [UInt8(ascii: "\n")], deadline: deadline)
        } catch .timeout(let what, _) {
            throw .timeout(waitingFor: what, seconds: (ContinuousClock.now - since).seconds)
        }
        while true {
            let frame = try await nextFrame(deadline: deadline, waitingFor: waitingFor, since: since)
            guard let header = try route(frame, awaitingID: id) else {
                try countUnexpected(waitingFor: waitingFor)
                continue
            }
            if let error = header.error {
                throw remoteError(error)
            }
            do {
                return try JSONDecoder().decode(ResultFrame<R>.self, from: Data(frame)).result
            } catch {
                throw .protocolViolation("\(method) result does not match the protocol: \(error)")
            }
        }
    }

    /// Records a frame; returns its header when it is the response to `awaitingID`.
    @discardableResult
    private func route(_ frame: [UInt8], awaitingID: Int?) throws(AgentError) -> FrameHeader? {
        record(from: "guest", bytes: frame)
        let header: FrameHeader
        do {
            header = try JSONDecoder().decode(FrameHeader.self, from: Data(frame))
        } catch {
            throw .protocolViolation("frame is not a JSON object: \(String(decoding: frame.prefix(120), as: UTF8.self))")
        }
        if header.event == "ready" {
            ready = try? JSONDecoder().decode(ReadyEvent.self, from: Data(frame))
            if ready == nil { throw .protocolViolation("malformed ready event") }
            return nil
        }
        if let awaitingID, header.id == awaitingID {
            guard header.hasResult || header.error != nil else {
                throw .protocolViolation("response \(awaitingID) has neither result nor error")
            }
            return header
        }
        if header.id == nil, let error = header.error {
            throw remoteError(error)
        }
        return nil
    }

    /// An agent error with its code and message capped (they are copied into many results).
    private func remoteError(_ error: ErrorBody) -> AgentError {
        .remote(code: AgentBudget.capped(error.code, 64),
                message: AgentBudget.capped(error.message ?? "", budget.messageCharacters))
    }

    private func startBudget() {
        requestBytes = 0
        requestUnexpectedFrames = 0
    }

    /// One more frame that did not answer the request; too many is a flood.
    private func countUnexpected(waitingFor: String) throws(AgentError) {
        requestUnexpectedFrames += 1
        if requestUnexpectedFrames > budget.unexpectedFramesPerRequest {
            throw .flooded(waitingFor: waitingFor, frames: requestUnexpectedFrames, bytes: requestBytes)
        }
    }

    private func nextFrame(deadline: ContinuousClock.Instant, waitingFor: String,
                           since: ContinuousClock.Instant) async throws(AgentError) -> [UInt8] {
        while pending.isEmpty {
            // A peer that never stops sending (frames we skip, a trickle) must not outlive the
            // deadline: a read that finds data waiting returns without looking at the clock.
            if ContinuousClock.now >= deadline {
                throw .timeout(waitingFor: waitingFor, seconds: (ContinuousClock.now - since).seconds)
            }
            let bytes: [UInt8]
            do {
                bytes = try await stream.read(maxBytes: 64 * 1024, deadline: deadline, waitingFor: waitingFor)
            } catch .timeout(let what, _) {
                // The stream times the last read only; the message names the whole wait.
                throw .timeout(waitingFor: what, seconds: (ContinuousClock.now - since).seconds)
            }
            if bytes.isEmpty { throw .closed(while: "waiting for \(waitingFor)") }
            requestBytes += bytes.count
            if requestBytes > budget.bytesPerRequest {
                throw .flooded(waitingFor: waitingFor, frames: requestUnexpectedFrames, bytes: requestBytes)
            }
            pending.append(contentsOf: try framer.append(bytes))
        }
        return pending.removeFirst()
    }

    private func record(from side: String, bytes: [UInt8]) {
        let limit = 64 * 1024
        guard keptTranscriptBytes < budget.transcriptBytes else {
            omittedFrames += 1
            omittedBytes += bytes.count
            return
        }
        var text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        if bytes.count > limit { text += "…(\(bytes.count) bytes)" }
        keptTranscriptBytes += min(bytes.count, limit)
        lines.append(TranscriptLine(at: (ContinuousClock.now - started).seconds, from: side, frame: text))
    }

    public func close() { stream.close() }
}
