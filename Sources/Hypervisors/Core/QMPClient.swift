import AgentProtocol
import Foundation

/// A minimal QEMU Machine Protocol client: capabilities handshake, then one command at a time.
///
/// Asynchronous events (SHUTDOWN, STOP, WATCHDOG, RESET, ...) arriving between commands are kept
/// in `eventLog` with QEMU's own time stamps; `waitForEvent` reads on until one arrives.
public actor QMPClient {
    private let stream: any ByteStream
    private var framer = LineFramer()
    private var pending: [[UInt8]] = []
    public private(set) var eventLog: [QMPEvent] = []
    /// Names of the events seen so far, in order.
    public var events: [String] { eventLog.map(\.name) }

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
            if let event = QMPEvent(object) {
                eventLog.append(event)
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

    /// The first event named in `names` from position `index` of `eventLog` on, reading QMP until
    /// it arrives; nil when the deadline passes first. Throws when the connection breaks.
    public func waitForEvent(_ names: Set<String>, from index: Int,
                             deadline: ContinuousClock.Instant) async throws(HypervisorError) -> QMPEvent? {
        var next = index
        while true {
            while next < eventLog.count {
                if names.contains(eventLog[next].name) { return eventLog[next] }
                next += 1
            }
            guard ContinuousClock.now < deadline else { return nil }
            let object: [String: Any]
            do {
                object = try await nextObject(deadline: deadline)
            } catch {
                if ContinuousClock.now >= deadline { return nil }
                throw error
            }
            if let event = QMPEvent(object) { eventLog.append(event) }
        }
    }

    /// Once QEMU has exited: reads what it wrote before closing the socket and returns its last
    /// SHUTDOWN event (its `reason` says whether the guest powered off, reset or panicked).
    public func lastShutdown(readingUntil deadline: ContinuousClock.Instant) async -> QMPEvent? {
        while let object = try? await nextObject(deadline: deadline) {
            if let event = QMPEvent(object) { eventLog.append(event) }
        }
        return eventLog.last { $0.name == "SHUTDOWN" }
    }

    public func close() { stream.close() }

    private func jsonString(_ value: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// One asynchronous QMP event: its name, its scalar `data` members as text, and QEMU's time stamp
/// (host wall clock, seconds since 1970) of when it happened.
public struct QMPEvent: Sendable, Equatable {
    public var name: String
    public var data: [String: String]
    public var timestamp: Double

    package init?(_ object: [String: Any]) {
        guard let name = object["event"] as? String else { return nil }
        self.name = name
        var data: [String: String] = [:]
        for (key, value) in object["data"] as? [String: Any] ?? [:] {
            switch value {
            case let flag as Bool: data[key] = flag ? "true" : "false"
            case let text as String: data[key] = text
            case let number as NSNumber: data[key] = number.stringValue
            default: continue
            }
        }
        self.data = data
        let stamp = object["timestamp"] as? [String: Any]
        let seconds = (stamp?["seconds"] as? NSNumber)?.doubleValue ?? 0
        let micros = (stamp?["microseconds"] as? NSNumber)?.doubleValue ?? 0
        timestamp = seconds + micros / 1e6
    }
}
