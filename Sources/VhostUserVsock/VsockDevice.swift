#if canImport(Glibc)
import Glibc
#endif

/// The vsock device model: turns guest TX packets into host socket I/O and host socket input
/// into guest RX packets, with credit-based flow control both ways (virtio §5.10).
///
/// Host sockets are non-blocking. A host socket is read only when the guest has RX buffers and
/// credit for that connection, so the event loop never spins on input it cannot deliver.
final class VsockDevice {
    /// A packet without payload waiting for an RX buffer. Headers of connection packets are built
    /// when sent, so they carry the newest credit counters.
    enum Control {
        case connection(ConnectionKey, VsockHeader.Op, flags: UInt32)
        case raw(VsockHeader)
    }

    let guestCID: UInt64
    let hybrid: HybridEndpoints
    private(set) var connections: [ConnectionKey: VsockConnection] = [:]
    var control: [Control] = []
    private var nextHostPort: UInt32 = 1 << 30
    /// Scratch for packet headers, so none is assembled on the heap.
    let header = UnsafeMutableRawBufferPointer.allocate(byteCount: VsockHeader.size, alignment: 8)
    /// Reused chains and iovecs of the data path (no allocation per packet once grown).
    private var transmitChain = DescriptorChain()
    var receiveChains: [DescriptorChain] = []
    var receiveCapacities: [Int] = []
    var vectors: [iovec] = []
    let log: BackendLog
    var statistics = BackendStatistics()
    /// Routes packets for sibling CIDs (guest-to-guest); nil: only the host is reachable.
    weak var router: SiblingRouter?
    /// Both rings run: siblings may open connections to this guest.
    var driverReady = false
    /// Guest-to-guest packets waiting for this guest's RX ring (FIFO from `inboxHead`).
    var siblingInbox: [SiblingPacket] = []
    var inboxHead = 0
    private(set) var siblingInboxBytes = 0

    init(guestCID: UInt64, hybrid: HybridEndpoints, log: BackendLog) {
        self.guestCID = guestCID
        self.hybrid = hybrid
        self.log = log
    }

    deinit { header.deallocate() }

    /// The guest driver went away (reset, reboot): every connection ends, its sibling
    /// connections included (each sibling hears RST).
    func reset() {
        for connection in connections.values { connection.closeSocket() }
        connections.removeAll()
        control.removeAll()
        siblingInbox.removeAll()
        inboxHead = 0
        siblingInboxBytes = 0
        router?.detach(self)
    }

    /// Queues a packet from a sibling (or the router's RST) for this guest's RX ring.
    func enqueueSibling(_ packet: SiblingPacket) {
        siblingInbox.append(packet)
        siblingInboxBytes += VsockHeader.size + packet.payload.count
    }

    /// The packet at the head of the inbox left (all its payload delivered).
    func dequeueSibling() {
        siblingInboxBytes -= VsockHeader.size + siblingInbox[inboxHead].payload.count
        inboxHead += 1
        if inboxHead == siblingInbox.count {
            siblingInbox.removeAll(keepingCapacity: true)
            inboxHead = 0
        } else if inboxHead >= 64 && inboxHead * 2 >= siblingInbox.count {
            siblingInbox.removeFirst(inboxHead)
            inboxHead = 0
        }
    }

    // MARK: guest -> host

    /// Consumes every available TX chain. Consumed chains go back to the guest in batches
    /// (`transmitBatch`, or `releaseTransmitted` once the event loop has held them a while): each
    /// return costs the guest an interrupt and a pass of its TX worker, which only frees packets,
    /// and returned at once every 64-byte echo cost the guest a TX interrupt besides its RX one.
    func processTransmit(_ queue: inout Virtqueue, memory: GuestMemory) {
        repeat {
            while true {
                do {
                    guard try queue.pop(memory, into: &transmitChain) else { break }
                } catch {
                    log.note("tx: \(error)")
                    continue
                }
                handleTransmit(transmitChain)
                queue.stage(head: transmitChain.head, length: 0)
            }
        } while queue.armKick()
        if queue.staged >= Self.transmitBatch(ringSize: queue.size) { releaseTransmitted(&queue) }
    }

    /// Consumed TX chains held back at most: an eighth of the ring, so the guest always has most
    /// of its TX ring to fill.
    static func transmitBatch(ringSize: Int) -> Int { max(1, ringSize / 8) }

    /// Hands every consumed TX chain back to the guest, interrupting it if it asked.
    func releaseTransmitted(_ queue: inout Virtqueue) {
        queue.publish()
        queue.notify()
    }

    private func handleTransmit(_ chain: DescriptorChain) {
        var cursor = ChainCursor(chain.readable)
        let got = cursor.read(into: header)
        guard got == VsockHeader.size else { log.note("tx: chain of \(got) bytes has no header"); return }
        let packet = VsockHeader(bytes: UnsafeRawBufferPointer(header))
        let payload = min(Int(packet.length), chain.readableLength - VsockHeader.size)
        guard packet.sourceCID == guestCID else {
            // A guest may not speak for another CID (that would let it reach into a sibling's connections).
            if packet.operation != .reset { resetUnknown(packet) }
            return log.note("tx: packet from CID \(packet.sourceCID) on the ring of CID \(guestCID) dropped")
        }
        if packet.destinationCID != VsockHeader.hostCID, let router {
            return router.route(packet, payload: &cursor, length: payload, from: self)
        }
        guard packet.destinationCID == VsockHeader.hostCID, packet.type == VsockHeader.typeStream, let op = packet.operation else {
            if packet.operation != .reset { resetUnknown(packet) }
            return
        }
        statistics.transmitPackets += 1
        statistics.transmitBytes += payload
        if op == .creditUpdate { statistics.creditUpdatesReceived += 1 }
        let key = ConnectionKey(hostPort: packet.destinationPort, guestPort: packet.sourcePort)
        guard let connection = connections[key] else {
            if op == .request { connectToHost(key) } else if op != .reset { resetUnknown(packet) }
            return
        }
        connection.updatePeer(packet)
        switch op {
        case .request:
            break  // duplicate: the connection already exists
        case .response:
            guard connection.state == .connecting else { return terminate(connection, sendReset: true) }
            connection.state = .established
            connection.queueReply(Array("OK \(key.hostPort)\n".utf8))
            if connection.flush() == .hostGone { terminate(connection, sendReset: true) }
        case .reset:
            terminate(connection, sendReset: false)
        case .shutdown:
            connection.guestSendClosed = connection.guestSendClosed || packet.flags & VsockHeader.shutdownSend != 0
            connection.guestReceiveClosed = connection.guestReceiveClosed || packet.flags & VsockHeader.shutdownReceive != 0
            if connection.guestSendClosed && connection.guestReceiveClosed { connection.state = .closingAfterFlush }
            flushed(connection, connection.flush())
        case .rw:
            guard connection.state != .connecting,
                  connection.pendingToHost + payload <= 2 * Int(VsockConnection.bufferAllocation) else {
                return terminate(connection, sendReset: true)  // the guest ignored our credit
            }
            let result = connection.deliver(&cursor, length: payload, vectors: &vectors)
            if connection.pendingToHost > 0 { statistics.hostWritesDeferred += 1 }
            flushed(connection, result)
        case .creditUpdate:
            break  // counters already refreshed above
        case .creditRequest:
            queueCreditUpdate(connection)
        }
    }

    /// A guest REQUEST to host port P goes to the Unix socket `<uds>_<P>`; nobody there means RST.
    private func connectToHost(_ key: ConnectionKey) {
        guard let fd = hybrid.connectForGuest(port: key.hostPort) else {
            control.append(.raw(resetHeader(key)))
            return
        }
        let connection = VsockConnection(key: key, fd: fd, state: .established)
        connections[key] = connection
        control.append(.connection(key, .response, flags: 0))
    }

    /// After host-socket progress: finish a closing connection, tell the guest about freed space.
    func flushed(_ connection: VsockConnection, _ result: VsockConnection.WriteResult) {
        if result == .hostGone { return terminate(connection, sendReset: true) }
        if connection.state == .closingAfterFlush && connection.pendingToHost == 0 {
            return terminate(connection, sendReset: true)
        }
        if connection.owesCreditUpdate { queueCreditUpdate(connection) }
    }

    func queueCreditUpdate(_ connection: VsockConnection) {
        guard !connection.creditUpdateQueued else { return }
        connection.creditUpdateQueued = true
        statistics.creditUpdatesSent += 1
        control.append(.connection(connection.key, .creditUpdate, flags: 0))
    }

    func terminate(_ connection: VsockConnection, sendReset: Bool) {
        connection.closeSocket()
        connections[connection.key] = nil
        if sendReset { control.append(.raw(resetHeader(connection.key))) }
    }

    private func resetHeader(_ key: ConnectionKey) -> VsockHeader {
        VsockHeader(sourceCID: VsockHeader.hostCID, destinationCID: guestCID, sourcePort: key.hostPort,
                    destinationPort: key.guestPort, op: .reset)
    }

    private func resetUnknown(_ packet: VsockHeader) {
        control.append(.raw(VsockHeader(sourceCID: VsockHeader.hostCID, destinationCID: guestCID,
                                        sourcePort: packet.destinationPort, destinationPort: packet.sourcePort, op: .reset)))
    }

    // MARK: host -> guest

    /// A host client asked for `CONNECT <port>`: send the guest a REQUEST from a fresh host port.
    func connectToGuest(port: UInt32, fd: Int32) {
        var key = ConnectionKey(hostPort: nextHostPort, guestPort: port)
        while connections[key] != nil { nextHostPort &+= 1; key.hostPort = nextHostPort }
        nextHostPort = nextHostPort == UInt32.max ? 1 << 30 : nextHostPort + 1
        connections[key] = VsockConnection(key: key, fd: fd, state: .connecting)
        control.append(.connection(key, .request, flags: 0))
    }

    /// The host socket reached end of stream: the guest hears that nothing more will come.
    func hostClosed(_ connection: VsockConnection, hungUp: Bool) {
        connection.hostReadClosed = true
        let flags = VsockHeader.shutdownSend | (hungUp ? VsockHeader.shutdownReceive : 0)
        control.append(.connection(connection.key, .shutdown, flags: flags))
    }
}
