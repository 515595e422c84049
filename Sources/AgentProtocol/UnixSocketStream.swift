import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected AF_UNIX stream socket (QEMU chardev sockets, QMP, hybrid vsock).
public final class UnixSocketStream: ByteStream {
    private let fd: Mutex<Int32>
    private let queue: DispatchQueue
    public let path: String

    init(fd: Int32, path: String) {
        self.fd = Mutex(fd)
        self.path = path
        self.queue = DispatchQueue(label: "avps.unix-socket")
    }

    deinit { close() }

    /// Wraps an already connected stream socket of any family (kernel AF_VSOCK); takes ownership.
    public static func adopting(fd: Int32, label: String) -> UnixSocketStream {
        UnixSocketStream(fd: fd, path: label)
    }

    /// Connects to `path`, retrying while the socket does not exist yet or refuses (the server may
    /// still be starting) until `deadline`.
    public static func connect(path: String, deadline: ContinuousClock.Instant) async throws(AgentError) -> UnixSocketStream {
        let queue = DispatchQueue(label: "avps.unix-connect")
        let fd: Int32 = try await BlockingIO.run(on: queue) { cancel in
            while true {
                switch tryConnect(path) {
                case .success(let fd): return .success(fd)
                case .failure(let error):
                    guard case .io(_, let code) = error, [ENOENT, ECONNREFUSED, EAGAIN].contains(code) else {
                        return .failure(error)
                    }
                    if cancel.isSet { return .failure(.cancelled) }
                    if ContinuousClock.now >= deadline {
                        return .failure(.timeout(waitingFor: "socket \(path) to accept", seconds: 0))
                    }
                    usleep(20_000)
                }
            }
        }
        return UnixSocketStream(fd: fd, path: path)
    }

    private static func tryConnect(_ path: String) -> Result<Int32, AgentError> {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            return .failure(.protocolViolation("socket path longer than \(capacity - 1) bytes: \(path)"))
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failure(.io(operation: "socket", errno: errno)) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if status != 0 {
            let code = errno
            Glibc.close(fd)
            return .failure(.io(operation: "connect \(path)", errno: code))
        }
        return .success(fd)
    }

    public func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        let fd = currentFD()
        let start = ContinuousClock.now
        return try await BlockingIO.run(on: queue) { cancel in
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                if cancel.isSet { return .failure(.cancelled) }
                if fd < 0 { return .failure(.closed(while: waitingFor)) }
                let ready = poll(&pfd, 1, BlockingIO.pollTimeout(until: deadline))
                if ready < 0 {
                    if errno == EINTR { continue }
                    return .failure(.io(operation: "poll", errno: errno))
                }
                if ready == 0 {
                    if ContinuousClock.now >= deadline {
                        return .failure(.timeout(waitingFor: waitingFor, seconds: (ContinuousClock.now - start).seconds))
                    }
                    continue
                }
                var buffer = [UInt8](repeating: 0, count: maxBytes)
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maxBytes) }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return .failure(.io(operation: "read \(waitingFor)", errno: errno))
                }
                return .success(Array(buffer.prefix(count)))
            }
        }
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {
        let fd = currentFD()
        let start = ContinuousClock.now
        let _: Void = try await BlockingIO.run(on: queue) { cancel in
            var offset = 0
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            while offset < bytes.count {
                if cancel.isSet { return .failure(.cancelled) }
                if ContinuousClock.now >= deadline { return .failure(.timeout(waitingFor: "the peer to accept written bytes", seconds: (ContinuousClock.now - start).seconds)) }
                let ready = poll(&pfd, 1, BlockingIO.pollTimeout(until: deadline))
                if ready <= 0 { if ready < 0 && errno != EINTR { return .failure(.io(operation: "poll", errno: errno)) }; continue }
                let written = bytes[offset...].withUnsafeBytes {
                    send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    if errno == EPIPE || errno == ECONNRESET { return .failure(.closed(while: "writing")) }
                    return .failure(.io(operation: "send", errno: errno))
                }
                offset += written
            }
            return .success(())
        }
    }

    private func currentFD() -> Int32 { fd.withLock { $0 } }

    /// Shuts the socket down at once (a pending read wakes with end of stream) and releases the
    /// descriptor on the I/O queue, after any pending call, so the number cannot be reused under it.
    public func close() {
        let old = fd.withLock { fd -> Int32 in
            let old = fd
            fd = -1
            return old
        }
        guard old >= 0 else { return }
        shutdown(old, Int32(SHUT_RDWR))
        queue.async { _ = Glibc.close(old) }
    }
}
