#if canImport(Glibc)
import Glibc
#endif

/// The host side of hybrid vsock (the Firecracker / Cloud Hypervisor convention):
/// host programs connect to the Unix socket `path` and send `CONNECT <port>\n`; guest
/// connections to host port P are delivered to the Unix socket `<path>_<P>`.
struct HybridEndpoints {
    let path: String

    /// Opens the listener for host-initiated connections (replacing a stale socket file).
    func listen() throws(VhostUserError) -> Int32 {
        try UnixSocket.listen(path: path)
    }

    /// Connects to `<path>_<port>` for a guest-initiated connection; nil when nobody listens.
    func connectForGuest(port: UInt32) -> Int32? {
        guard let fd = UnixSocket.connect(path: "\(path)_\(port)") else { return nil }
        UnixSocket.setNonBlocking(fd)
        UnixSocket.enlargeSendBuffer(fd)
        return fd
    }

    /// Whether the peer closed both directions (full close rather than a half-close).
    func peerHungUp(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLHUP) != 0
    }

    /// Parses a `CONNECT <port>` line (without its newline); nil when it is anything else.
    static func parseConnect(_ line: [UInt8]) -> UInt32? {
        let text = String(decoding: line.filter { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 2, words[0] == "CONNECT", let port = UInt32(words[1]) else { return nil }
        return port
    }
}

/// A host client between accept and its complete `CONNECT` line.
struct PendingClient {
    let fd: Int32
    var line: [UInt8] = []

    enum Progress { case waiting, connect(UInt32), invalid }

    /// Reads one byte at a time so nothing after the newline is consumed (the client may send
    /// payload right behind its CONNECT line).
    mutating func readLine() -> Progress {
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 { return errno == EAGAIN || errno == EINTR ? .waiting : .invalid }
            if count == 0 { return .invalid }
            if byte == UInt8(ascii: "\n") {
                return HybridEndpoints.parseConnect(line).map(Progress.connect) ?? .invalid
            }
            line.append(byte)
            if line.count > 64 { return .invalid }
        }
    }
}

/// Small AF_UNIX helpers shared by the listener, the guest-initiated connector and the frontend socket.
enum UnixSocket {
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        return address
    }

    /// Binds under a temporary name and renames into place after `listen`, so a client that sees
    /// the path can connect at once (QEMU exits if the vhost-user socket refuses it).
    static func listen(path: String) throws(VhostUserError) -> Int32 {
        let temporary = path + ".tmp"
        guard var address = address(temporary) else { throw .configuration("socket path too long: \(path)") }
        unlink(temporary)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io(operation: "socket", errno: errno) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 64) == 0, rename(temporary, path) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .io(operation: "bind/listen \(path)", errno: code)
        }
        setNonBlocking(fd)
        return fd
    }

    static func connect(path: String) -> Int32? {
        guard var address = address(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if status != 0 { close(fd); return nil }
        return fd
    }

    static func accept(_ listener: Int32) -> Int32? {
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        setNonBlocking(fd)
        return fd
    }

    /// Room for guest payload in the kernel (capped by net.core.wmem_max): the guest's data
    /// counts as forwarded once the socket took it, so a reader that is a little late costs the
    /// guest no credit stall and us no user-space queueing.
    static func enlargeSendBuffer(_ fd: Int32) {
        var size: Int32 = 1 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
}
