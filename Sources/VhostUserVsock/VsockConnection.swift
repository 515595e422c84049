#if canImport(Glibc)
import Glibc
#endif

/// A stream connection between a host Unix socket and a guest vsock port.
struct ConnectionKey: Hashable, CustomStringConvertible {
    /// Port on the host side (CID 2): the listener's port for guest-initiated connections, a
    /// backend-allocated port for host-initiated ones.
    var hostPort: UInt32
    var guestPort: UInt32

    var description: String { "host:\(hostPort)<->guest:\(guestPort)" }
}

/// State and credit of one connection. Credit follows virtio §5.10.6.3: a sender may have at most
/// `peer_buf_alloc − (tx_cnt − peer_fwd_cnt)` bytes in flight (u32 wrapping arithmetic).
final class VsockConnection {
    enum State { case connecting, established, closingAfterFlush }

    /// What we advertise: bytes we buffer for the host socket before the guest must wait.
    static let bufferAllocation: UInt32 = 1024 * 1024

    let key: ConnectionKey
    private(set) var fd: Int32
    var state: State

    var peerBufferAllocation: UInt32 = 0
    var peerForwardCount: UInt32 = 0
    /// Payload bytes sent to the guest (tx_cnt).
    var sentToGuest: UInt32 = 0
    /// Payload bytes delivered to the host socket (our fwd_cnt).
    var forwardCount: UInt32 = 0
    /// fwd_cnt last told to the guest.
    var reportedForwardCount: UInt32 = 0
    var creditUpdateQueued = false
    /// When host input was first seen while the backend holds deliveries (`SiblingRouter.delay`,
    /// a negative control); the input is read once the hold is over. nil: not held.
    var inputHeldSince: UInt64?

    /// Bytes for the host socket that it did not take yet.
    private var toHost: [UInt8] = []
    private var toHostOffset = 0

    /// The host closed its sending side (we told the guest with SHUTDOWN).
    var hostReadClosed = false
    /// The guest will send nothing more: shut the host socket's write side once flushed.
    var guestSendClosed = false
    /// The guest will receive nothing more: stop reading the host socket.
    var guestReceiveClosed = false
    private var hostWriteShut = false

    init(key: ConnectionKey, fd: Int32, state: State) {
        self.key = key
        self.fd = fd
        self.state = state
    }

    deinit { closeSocket() }

    func closeSocket() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// Bytes the guest can still take from us.
    var peerCredit: UInt32 {
        let inFlight = sentToGuest &- peerForwardCount
        return inFlight >= peerBufferAllocation ? 0 : peerBufferAllocation - inFlight
    }

    var pendingToHost: Int { toHost.count - toHostOffset }

    /// Whether the host socket should be read now (given that the guest has RX buffers).
    var wantsHostInput: Bool {
        state == .established && !hostReadClosed && !guestReceiveClosed && peerCredit > 0
    }

    func updatePeer(_ header: VsockHeader) {
        peerBufferAllocation = header.bufferAllocation
        peerForwardCount = header.forwardCount
    }

    /// Whether enough was forwarded since the last report that the guest should hear of it.
    var owesCreditUpdate: Bool {
        forwardCount &- reportedForwardCount >= Self.bufferAllocation / 4
    }

    enum WriteResult { case ok, hostGone }

    /// Delivers guest payload to the host socket: straight from guest memory when nothing is
    /// queued, the rest copied into the queue. Never blocks.
    func deliver(_ cursor: inout ChainCursor, length: Int, vectors: inout [iovec]) -> WriteResult {
        var left = length
        if pendingToHost == 0 && fd >= 0 {
            vectors.removeAll(keepingCapacity: true)
            _ = cursor.appendIOVecs(limit: left, to: &vectors)
            let written = vectors.withUnsafeMutableBufferPointer { writev(fd, $0.baseAddress, Int32($0.count)) }
            if written < 0 && errno != EAGAIN && errno != EINTR { return .hostGone }
            if written > 0 {
                cursor.advance(written)
                forwardCount &+= UInt32(written)
                left -= written
            }
        }
        if left > 0 {
            let start = toHost.count
            toHost.append(contentsOf: repeatElement(0, count: left))
            let copied = toHost.withUnsafeMutableBytes { cursor.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
            toHost.removeLast(left - copied)
        }
        return .ok
    }

    /// Leading queued bytes that are not guest payload (the `OK <port>` line) and so do not count
    /// towards fwd_cnt.
    private var uncounted = 0

    /// Queues the `OK <port>` line of a host-initiated connection (not guest payload).
    func queueReply(_ bytes: [UInt8]) {
        toHost.append(contentsOf: bytes)
        uncounted += bytes.count
    }

    /// Writes queued bytes; then, if the guest finished sending, shuts the host write side.
    func flush() -> WriteResult {
        while pendingToHost > 0 && fd >= 0 {
            let written = toHost.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + toHostOffset }, raw.count - toHostOffset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { break }
                return .hostGone
            }
            toHostOffset += written
            let payload = max(0, written - uncounted)
            uncounted = max(0, uncounted - written)
            forwardCount &+= UInt32(payload)
        }
        if toHostOffset > 0 && (toHostOffset == toHost.count || toHostOffset > 1 << 20) {
            toHost.removeFirst(toHostOffset)
            toHostOffset = 0
        }
        if pendingToHost == 0 && guestSendClosed && !hostWriteShut && fd >= 0 {
            shutdown(fd, Int32(SHUT_WR))
            hostWriteShut = true
        }
        return .ok
    }
}
