import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A stream to a guest vsock port through a hybrid-vsock Unix socket (the Firecracker / Cloud
/// Hypervisor convention our backend speaks): connect, send `CONNECT <port>\n`, read `OK <n>\n`,
/// then it is a plain byte stream.
///
/// It connects lazily, on the first read or write, and retries until that call's deadline while
/// the guest is not listening yet (the backend then closes the socket because the guest answered
/// RST) — so "wait for the agent's ready event" also covers the guest's boot.
public final class HybridVsockStream: ByteStream {
    /// Opens one connection to the hybrid-vsock socket, by `deadline`; `.timeout` means "not there
    /// or refusing yet" and is retried.
    public typealias Connector = @Sendable (ContinuousClock.Instant) async throws(AgentError) -> any ByteStream

    /// The socket, in messages (a local path, or a remote one forwarded over SSH).
    public let path: String
    public let port: UInt32
    private let connector: Connector
    private struct State {
        var inner: (any ByteStream)?
        /// Bytes read together with the `OK` line.
        var leftover: [UInt8] = []
        var closed = false
        /// The connection still in its CONNECT handshake, so `close()` can interrupt it too.
        var pending: (any ByteStream)?
    }
    private let state = Mutex(State())

    /// The hybrid-vsock Unix socket at `path` on this host.
    public convenience init(path: String, port: UInt32) {
        self.init(describing: path, port: port) { deadline throws(AgentError) in
            try await UnixSocketStream.connect(path: path, deadline: deadline)
        }
    }

    /// A hybrid-vsock socket reached through `connect` (e.g. forwarded over SSH).
    public init(describing path: String, port: UInt32, connect: @escaping Connector) {
        self.path = path
        self.port = port
        self.connector = connect
    }

    /// Connects now unless already connected; retries until `deadline`.
    public func connect(deadline: ContinuousClock.Instant) async throws(AgentError) {
        _ = try await connected(deadline: deadline)
    }

    private func connected(deadline: ContinuousClock.Instant) async throws(AgentError) -> any ByteStream {
        var lastProblem = "the guest did not accept vsock port \(port)"
        let start = ContinuousClock.now
        while true {
            let (inner, closed) = state.withLock { ($0.inner, $0.closed) }
            if closed { throw .closed(while: "connecting to vsock port \(port)") }
            if let inner { return inner }
            if ContinuousClock.now >= deadline {
                throw .timeout(waitingFor: "the agent on vsock port \(port) (last: \(lastProblem); via \(path))",
                               seconds: (ContinuousClock.now - start).seconds)
            }
            // Short slices, so a `close()` (the guest died) is noticed while the backend's socket
            // refuses or is gone, instead of retrying until the boot deadline.
            let stream: any ByteStream
            do {
                stream = try await connector(min(deadline, .now + .milliseconds(200)))
            } catch .timeout {
                lastProblem = "the vsock backend socket \(path) refuses connections"
                continue
            }
            let alreadyClosed = state.withLock { state -> Bool in
                state.pending = stream
                return state.closed
            }
            if alreadyClosed { stream.close() }
            defer { state.withLock { $0.pending = nil } }
            switch try await handshake(stream, deadline: deadline) {
            case .accepted(let leftover):
                let kept = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.inner = stream
                    state.leftover = leftover
                    return true
                }
                if !kept { stream.close() }
            case .refused(let why):
                stream.close()
                lastProblem = why
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private enum Handshake { case accepted([UInt8]), refused(String) }

    private func handshake(_ stream: any ByteStream, deadline: ContinuousClock.Instant) async throws(AgentError) -> Handshake {
        do {
            try await stream.write(Array("CONNECT \(port)\n".utf8), deadline: deadline)
        } catch .closed {
            return .refused("the vsock backend closed the connection")
        }
        var line: [UInt8] = []
        while true {
            let bytes: [UInt8]
            do {
                bytes = try await stream.read(maxBytes: 4096, deadline: deadline, waitingFor: "OK from the vsock backend")
            } catch .io(_, let code) where code == ECONNRESET {
                return .refused("vsock port \(port) refused (connection reset)")
            }
            if bytes.isEmpty { return .refused("vsock port \(port) refused (guest not listening yet)") }
            line += bytes
            guard let newline = line.firstIndex(of: UInt8(ascii: "\n")) else {
                if line.count > 128 { throw .protocolViolation("hybrid vsock answer without newline") }
                continue
            }
            let answer = String(decoding: line[..<newline], as: UTF8.self)
            guard answer.hasPrefix("OK ") else { throw .protocolViolation("hybrid vsock answered \"\(answer)\"") }
            return .accepted(Array(line[(newline + 1)...]))
        }
    }

    public func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        let inner = try await connected(deadline: deadline)
        let buffered = state.withLock { state -> [UInt8] in
            let bytes = Array(state.leftover.prefix(maxBytes))
            state.leftover.removeFirst(bytes.count)
            return bytes
        }
        if !buffered.isEmpty { return buffered }
        return try await inner.read(maxBytes: maxBytes, deadline: deadline, waitingFor: waitingFor)
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {
        try await connected(deadline: deadline).write(bytes, deadline: deadline)
    }

    public func close() {
        let (inner, pending) = state.withLock { state -> ((any ByteStream)?, (any ByteStream)?) in
            state.closed = true
            return (state.inner, state.pending)
        }
        inner?.close()
        pending?.close()
    }
}
