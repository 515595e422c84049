import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A UDP echo server on the host's loopback for the guest's `net.udp_echo` probe. QEMU user
/// networking forwards the guest's datagrams for 10.0.2.2 to 127.0.0.1 on the host.
///
/// It serves on its own Dispatch queue (blocking poll in short slices), never on Swift's
/// cooperative pool, and lives exactly as long as the target that started it.
final class EchoPeer: Sendable {
    /// Host port the guest should send to.
    let port: Int
    /// Datagrams echoed so far (a host-side observation).
    var echoed: Int { counter.load(ordering: .acquiring) }
    /// Datagrams received so far, echoed or not (what reached the host).
    var received: Int { arrivals.load(ordering: .acquiring) }

    private let socket: Int32
    private let stopped = Atomic<Bool>(false)
    private let counter = Atomic<Int>(0)
    private let arrivals = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1 on an ephemeral port; nil when the host refuses a UDP socket.
    init?() {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { close(fd); return nil }
        socket = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let queue = DispatchQueue(label: "avps.echo-peer")
        queue.async { [self] in serve() }
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !stopped.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    recvfrom(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT), raw, &length)
                }
            }
            guard count > 0 else { continue }
            arrivals.add(1, ordering: .releasing)
            let sent = withUnsafePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    sendto(socket, buffer, count, 0, raw, length)
                }
            }
            if sent == count { counter.add(1, ordering: .releasing) }
        }
        finished.signal()
    }

    /// Stops serving and closes the socket; waits at most one poll slice.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
        close(socket)
    }
}
