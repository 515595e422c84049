import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The guest end of a socketpair, driven by a hostile script on its own thread (never on Swift's
/// cooperative pool: the script blocks in `read`, `poll` and `sleep` like a real misbehaving agent).
///
/// Every call reports whether the host is still there, so a script ends as soon as the runner has
/// given up and closed its end.
final class ScriptedGuest: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Writes all bytes; false once the host closed its end.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// The next request line from the host, or nil at end of stream / after `timeout`.
    func readLine(timeout: Duration = .seconds(90)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return line
            }
            guard ContinuousClock.now < deadline else { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) >= 0 || errno == EINTR else { return nil }
            guard descriptor.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            buffer += chunk.prefix(count)
        }
    }

    /// The id of a request line (`{"id":N,...}`), as the agent would echo it.
    static func id(of line: String) -> Int? {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["id"] as? Int
    }

    /// Blocks until the host closes its end (or `timeout`), discarding whatever it sends.
    func waitForHostToLeave(timeout: Duration = .seconds(30)) {
        while readLine(timeout: timeout) != nil {}
    }

    func close() { _ = Glibc.close(fd) }
}

/// Well-formed frames a script mixes with its hostile ones.
enum AgentFrames {
    static let ready = #"{"event":"ready","agent_version":"0.1.0","protocol_version":1}"# + "\n"

    static func hello(id: Int) -> String {
        #"{"id":\#(id),"result":{"agent_version":"0.1.0","protocol_version":1,"kernel_release":"6.1.0-fake","machine":"x86_64"}}"# + "\n"
    }

    static func emptyInventory(id: Int) -> String { #"{"id":\#(id),"result":{"devices":[]}}"# + "\n" }

    /// A probe that could not measure (the platform probes run even with an empty inventory).
    static func unavailableProbe(id: Int, request: String) -> String {
        let params = (try? JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])?["params"] as? [String: Any]
        let name = params?["name"] as? String ?? "scripted"
        let device = (params?["device"] as? String).map { "\"\($0)\"" } ?? "null"
        return #"{"id":\#(id),"result":{"name":"\#(name)","device":\#(device),"status":"unavailable","facts":{},"reason":"scripted guest"}}"# + "\n"
    }
}
