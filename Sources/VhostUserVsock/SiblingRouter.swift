/// Guest-to-guest vsock between the VMs one backend serves (sibling CIDs; the host stays CID 2).
///
/// The backend is a switch here, not an endpoint: both guests run the vsock state machine and
/// their own credit accounting, and a packet goes from one guest's TX ring to the other's RX
/// ring unchanged (split when the receiver's RX buffers are smaller than its payload). The
/// router still keeps a table of the connections it carried, so that
/// - a packet for a CID it does not serve, a VM that is not running, or a connection it never
///   saw opened is answered with RST (never an RST with an RST);
/// - a sender that overruns the credit its peer advertised (buf_alloc − (tx_cnt − fwd_cnt),
///   virtio §5.10.6.3) loses its connection (RST both ways) instead of growing our queue;
/// - a VM that goes away (frontend hang-up, driver reset) ends exactly its own connections:
///   each sibling hears RST, nothing else changes.
final class SiblingRouter {
    /// Most bytes (headers and payload) queued for one VM's RX ring. Credit bounds each
    /// connection; this bounds control packets and many connections together.
    static let inboxLimit = 16 << 20

    /// One end of a sibling connection.
    struct End: Hashable, CustomStringConvertible {
        var cid: UInt64
        var port: UInt32
        var description: String { "\(cid):\(port)" }
    }

    /// A connection, keyed by its two ends in a fixed order so both directions find it.
    struct Key: Hashable {
        let low: End, high: End
        init(_ a: End, _ b: End) {
            (low, high) = (a.cid, a.port) < (b.cid, b.port) ? (a, b) : (b, a)
        }
        func side(of end: End) -> Int { end == low ? 0 : 1 }
    }

    /// What the router knows of one connection: per side, the credit it advertised and the
    /// payload it sent.
    struct Link {
        var established = false
        var bufferAllocation: [UInt32] = [0, 0]
        var forwardCount: [UInt32] = [0, 0]
        var sent: [UInt32] = [0, 0]

        mutating func learn(_ packet: VsockHeader, side: Int) {
            bufferAllocation[side] = packet.bufferAllocation
            forwardCount[side] = packet.forwardCount
        }

        /// Whether `length` more bytes from `side` stay within the other side's credit.
        func fits(_ length: UInt32, from side: Int) -> Bool {
            let peer = 1 - side
            let inFlight = sent[side] &- forwardCount[peer]
            return inFlight <= bufferAllocation[peer] && length <= bufferAllocation[peer] - inFlight
        }
    }

    private var devices: [UInt64: VsockDevice] = [:]
    private(set) var links: [Key: Link] = [:]
    let log: BackendLog
    var statistics = SiblingStatistics()
    /// Added to every delivery to a guest (ns): each forwarded sibling packet, and host input
    /// (`EventLoop`): a slow vsock path, for the negative controls of the round-trip requirements
    /// (AUTO-VSOCK-01, AUTO-VSOCK-03); 0 in every real run.
    let delay: UInt64

    init(log: BackendLog, delay: UInt64 = 0) {
        self.log = log
        self.delay = delay
    }

    /// Serves `device`'s CID from now on (replacing a previous device of that CID).
    func attach(_ device: VsockDevice) {
        if let previous = devices[device.guestCID], previous !== device { detach(previous) }
        devices[device.guestCID] = device
        device.router = self
    }

    var servedCIDs: [UInt64] { devices.keys.sorted() }

    /// The VM behind `device` went away: each of its connections ends with an RST to the sibling.
    func detach(_ device: VsockDevice) {
        let cid = device.guestCID
        for (key, _) in links where key.low.cid == cid || key.high.cid == cid {
            links[key] = nil
            let (gone, peer) = key.low.cid == cid ? (key.low, key.high) : (key.high, key.low)
            if let sibling = devices[peer.cid], sibling !== device { sibling.enqueueSibling(Self.reset(from: gone, to: peer)) }
            statistics.teardowns += 1
        }
    }

    /// Routes one guest packet whose destination is not the host. `payload` is positioned after
    /// the header and holds `length` payload bytes.
    func route(_ packet: VsockHeader, payload: inout ChainCursor, length: Int, from source: VsockDevice) {
        let origin = End(cid: packet.sourceCID, port: packet.sourcePort)
        let target = End(cid: packet.destinationCID, port: packet.destinationPort)
        guard let op = packet.operation else { return refuse(packet, to: source, why: "unknown op \(packet.op)") }
        guard let destination = devices[target.cid], destination !== source, destination.driverReady,
              packet.type == VsockHeader.typeStream else {
            return refuse(packet, to: source, why: "no running VM with CID \(target.cid) on this backend")
        }
        let key = Key(origin, target)
        let side = key.side(of: origin)
        if op == .request {
            links[key] = Link()
        } else if links[key] == nil {
            return refuse(packet, to: source, why: "no connection \(origin)->\(target)")
        }
        guard var link = links[key] else { return }
        link.learn(packet, side: side)
        switch op {
        case .response:
            link.established = true
        case .rw:
            guard link.established, link.fits(UInt32(length), from: side) else {
                log.note("sibling \(origin)->\(target): \(length) bytes beyond the peer's credit; both ends reset")
                statistics.creditViolations += 1
                return abort(key, source: source, destination: destination)
            }
            link.sent[side] &+= UInt32(length)
        case .reset:
            links[key] = nil
            destination.enqueueSibling(SiblingPacket(header: packet, payload: []))
            return
        default:
            break
        }
        links[key] = link
        guard destination.siblingInboxBytes + VsockHeader.size + length <= Self.inboxLimit else {
            log.note("sibling \(target.cid): inbox full; \(origin)->\(target) reset")
            return abort(key, source: source, destination: destination)
        }
        var bytes = [UInt8](repeating: 0, count: length)
        let copied = bytes.withUnsafeMutableBytes { payload.read(into: $0) }
        var header = packet
        header.length = UInt32(copied)
        destination.enqueueSibling(SiblingPacket(header: header, payload: copied == length ? bytes : Array(bytes.prefix(copied)),
                                                 due: delay == 0 ? 0 : MonotonicClock.nanoseconds() + delay))
        statistics.packets += 1
        statistics.bytes += copied
    }

    /// RST to the sender for a packet nobody can take (unless it is itself an RST).
    private func refuse(_ packet: VsockHeader, to source: VsockDevice, why: String) {
        guard packet.operation != .reset else { return }
        statistics.refused += 1
        if packet.operation == .request { log.note("sibling: \(why)") }
        let origin = End(cid: packet.sourceCID, port: packet.sourcePort)
        let target = End(cid: packet.destinationCID, port: packet.destinationPort)
        source.enqueueSibling(Self.reset(from: target, to: origin))
    }

    private func abort(_ key: Key, source: VsockDevice, destination: VsockDevice) {
        links[key] = nil
        let (a, b) = source.guestCID == key.low.cid ? (key.low, key.high) : (key.high, key.low)
        source.enqueueSibling(Self.reset(from: b, to: a))
        destination.enqueueSibling(Self.reset(from: a, to: b))
    }

    static func reset(from: End, to: End) -> SiblingPacket {
        SiblingPacket(header: VsockHeader(sourceCID: from.cid, destinationCID: to.cid, sourcePort: from.port,
                                          destinationPort: to.port, op: .reset), payload: [])
    }
}

/// A packet waiting for the destination guest's RX ring; `offset` is how much payload went out
/// already (a payload larger than one RX buffer goes as several RW packets).
struct SiblingPacket {
    var header: VsockHeader
    var payload: [UInt8]
    var offset = 0
    /// Monotonic time (ns) before which the packet is not delivered; 0: at once.
    var due: UInt64 = 0
}

/// Counters of the router (logged with the backend's statistics).
struct SiblingStatistics: CustomStringConvertible {
    var packets = 0
    var bytes = 0
    var refused = 0
    var creditViolations = 0
    var teardowns = 0

    var description: String {
        "guest<->guest \(packets) packets \(bytes) B, refused \(refused), credit violations \(creditViolations), "
            + "connections torn down with their VM \(teardowns)"
    }
}
