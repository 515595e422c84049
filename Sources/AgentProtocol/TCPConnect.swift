import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension UnixSocketStream {
    /// Connects a TCP stream (IPv4 literal or `localhost`), retrying while refused until `deadline`.
    /// The stream type is the same: after connect, a socket is a socket.
    public static func connectTCP(host: String, port: Int, deadline: ContinuousClock.Instant) async throws(AgentError) -> UnixSocketStream {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        let literal = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, literal, &address.sin_addr) == 1, (1...65535).contains(port) else {
            throw .protocolViolation("not an IPv4 address and port: \(host):\(port)")
        }
        let endpoint = "\(host):\(port)"
        let resolved = address
        let queue = DispatchQueue(label: "avps.tcp-connect")
        let fd: Int32 = try await BlockingIO.run(on: queue) { cancel in
            while true {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { return .failure(.io(operation: "socket", errno: errno)) }
                var target = resolved
                let status = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if status == 0 { return .success(fd) }
                let code = errno
                Glibc.close(fd)
                guard [ECONNREFUSED, EAGAIN, ETIMEDOUT].contains(code) else {
                    return .failure(.io(operation: "connect \(endpoint)", errno: code))
                }
                if cancel.isSet { return .failure(.cancelled) }
                if ContinuousClock.now >= deadline {
                    return .failure(.timeout(waitingFor: "\(endpoint) to accept", seconds: 0))
                }
                usleep(50_000)
            }
        }
        return UnixSocketStream(fd: fd, path: endpoint)
    }
}
