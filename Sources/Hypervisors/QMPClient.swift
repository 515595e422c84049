import AgentProtocol
import Foundation

/// A minimal QEMU Machine Protocol client: capabilities handshake, then one command at a time.
///
/// Asynchronous events (SHUTDOWN, STOP, ...) arriving between commands are kept in `events`.
public actor QMPClient {
    private let stream: any ByteStream
    private var framer = LineFramer()
    private var pending: [[UInt8]] = []
    public private(set) var events: [String] = []

    private init(stream: any ByteStream) {
        self.stream = stream
    }

    /// Connects and completes the `qmp_capabilities` handshake.
    public static func connect(path: String, deadline: ContinuousClock.Instant) async throws(HypervisorError) -> QMPClient {
        let stream: UnixSocketStream
        do {
            stream = try await UnixSocketStream.connect(path: path, deadline: deadline)
        } catch {
            throw .control("cannot connect to \(path): \(error)")
        }
        return try await attach(stream, deadline: deadline)
    }

    /// Completes the handshake on an already connected stream (a local socket, or one forwarded over SSH).
    public static func attach(_ stream: any ByteStream, deadline: ContinuousClock.Instant) async throws(HypervisorError) -> QMPClient {
        let client = QMPClient(stream: stream)
        try await client.handshake(deadline: deadline)
        return client
    }

    private func handshake(deadline: ContinuousClock.Instant) async throws(HypervisorError) {
        let greeting = try await nextObject(deadline: deadline)
        guard greeting["QMP"] != nil else { throw .control("no QMP greeting") }
        try await execute("qmp_capabilities", deadline: deadline)
    }

    /// Runs a command and returns its `return` value as JSON text.
    /// - Parameter arguments: the `arguments` object as JSON text, when the command takes any.
    @discardableResult
    public func execute(_ command: String, arguments: String? = nil,
                        deadline: ContinuousClock.Instant) async throws(HypervisorError) -> String {
        var text = "{\"execute\":\(jsonString(command))"
        if let arguments { text += ",\"arguments\":\(arguments)" }
        let data = Data((text + "}").utf8)
        do {
            try await stream.write(Array(data) + [10], deadline: deadline)
        } catch {
            throw .control("\(command): \(error)")
        }
        while true {
            let object = try await nextObject(deadline: deadline)
            if let event = object["event"] as? String {
                events.append(event)
                continue
            }
            if let error = object["error"] as? [String: Any] {
                throw .control("\(command): \(error["desc"] as? String ?? "unknown error")")
            }
            if let value = object["return"] {
                let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
        }
    }

    private func nextObject(deadline: ContinuousClock.Instant) async throws(HypervisorError) -> [String: Any] {
        do {
            while pending.isEmpty {
                let bytes = try await stream.read(maxBytes: 64 * 1024, deadline: deadline, waitingFor: "QMP")
                if bytes.isEmpty { throw AgentError.closed(while: "reading QMP") }
                pending.append(contentsOf: try framer.append(bytes))
            }
        } catch {
            throw .control("\(error)")
        }
        let frame = pending.removeFirst()
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any] else {
            throw .control("malformed QMP frame: \(String(decoding: frame.prefix(200), as: UTF8.self))")
        }
        return object
    }

    public func close() { stream.close() }

    private func jsonString(_ value: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
