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
    private(set) var control: [Control] = []
    private var nextHostPort: UInt32 = 1 << 30
    /// Scratch for RX headers, so a packet is never assembled on the heap.
    private var header = [UInt8](repeating: 0, count: VsockHeader.size)
    let log: BackendLog

    init(guestCID: UInt64, hybrid: HybridEndpoints, log: BackendLog) {
        self.guestCID = guestCID
        self.hybrid = hybrid
        self.log = log
    }

    /// The guest driver went away (reset, reboot): every connection ends.
    func reset() {
        for connection in connections.values { connection.closeSocket() }
        connections.removeAll()
        control.removeAll()
    }

    // MARK: guest -> host

    /// Consumes every available TX chain.
    func processTransmit(_ queue: inout Virtqueue, memory: GuestMemory) {
        repeat {
            while true {
                let chain: DescriptorChain?
                do { chain = try queue.pop(memory) } catch {
                    log.note("tx: \(error)")
                    continue
                }
                guard let chain else { break }
                handleTransmit(chain)
                queue.push(head: chain.head, length: 0)
            }
        } while queue.armKick()
        queue.notify()
    }

    private func handleTransmit(_ chain: DescriptorChain) {
        var cursor = ChainCursor(chain.readable)
        let got = header.withUnsafeMutableBytes { cursor.read(into: $0) }
        guard got == VsockHeader.size else { log.note("tx: chain of \(got) bytes has no header"); return }
        let packet = header.withUnsafeBytes { VsockHeader(bytes: $0) }
        let payload = min(Int(packet.length), chain.readableLength - VsockHeader.size)
        guard packet.sourceCID == guestCID, packet.destinationCID == VsockHeader.hostCID,
              packet.type == VsockHeader.typeStream, let op = packet.operation else {
            if packet.operation != .reset { resetUnknown(packet) }
            return
        }
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
            flushed(connection, connection.deliver(&cursor, length: payload))
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

    private func queueCreditUpdate(_ connection: VsockConnection) {
        guard !connection.creditUpdateQueued else { return }
        connection.creditUpdateQueued = true
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

    var hasControl: Bool { !control.isEmpty }

    /// Fills RX buffers: queued control packets first, then host input round-robin over
    /// `readable`. Returns false when the guest ran out of RX buffers (wait for its kick).
    func fillReceive(_ queue: inout Virtqueue, memory: GuestMemory, readable: inout [ConnectionKey]) -> Bool {
        defer { queue.notify() }
        var index = 0
        while !control.isEmpty || !readable.isEmpty {
            guard let chain = nextChain(&queue, memory: memory) else { return false }
            if !control.isEmpty {
                queue.push(head: chain.head, length: sendControl(control.removeFirst(), into: chain))
                continue
            }
            index %= readable.count
            let key = readable[index]
            guard let connection = connections[key], connection.wantsHostInput else {
                queue.unpop(); readable.remove(at: index); continue
            }
            let length = receive(from: connection, into: chain)
            if length > 0 {
                queue.push(head: chain.head, length: UInt32(length))
                index += 1
            } else {
                queue.unpop()
                readable.remove(at: index)
            }
        }
        return true
    }

    private func nextChain(_ queue: inout Virtqueue, memory: GuestMemory) -> DescriptorChain? {
        while true {
            do {
                if let chain = try queue.pop(memory) {
                    if chain.writableCapacity >= VsockHeader.size { return chain }
                    queue.push(head: chain.head, length: 0)
                    log.note("rx: buffer of \(chain.writableCapacity) bytes cannot hold a header")
                    continue
                }
            } catch {
                log.note("rx: \(error)")
                continue
            }
            if !queue.armKick() { return nil }
        }
    }

    private func packetHeader(_ key: ConnectionKey, _ op: VsockHeader.Op, flags: UInt32, length: UInt32) -> VsockHeader {
        var packet = VsockHeader(sourceCID: VsockHeader.hostCID, destinationCID: guestCID, sourcePort: key.hostPort,
                                 destinationPort: key.guestPort, op: op, flags: flags, length: length)
        packet.bufferAllocation = VsockConnection.bufferAllocation
        if let connection = connections[key] {
            packet.forwardCount = connection.forwardCount
            connection.reportedForwardCount = connection.forwardCount
            if op == .creditUpdate { connection.creditUpdateQueued = false }
        }
        return packet
    }

    private func sendControl(_ item: Control, into chain: DescriptorChain) -> UInt32 {
        let packet: VsockHeader = switch item {
        case .raw(let header): header
        case .connection(let key, let op, let flags): packetHeader(key, op, flags: flags, length: 0)
        }
        var cursor = ChainCursor(chain.writable)
        header.withUnsafeMutableBytes { packet.write(to: $0) }
        return UInt32(header.withUnsafeBytes { cursor.write($0) })
    }

    /// Reads host input straight into the chain after its header; 0 when nothing was read
    /// (would block, end of stream, error — the latter two are handled here).
    private func receive(from connection: VsockConnection, into chain: DescriptorChain) -> Int {
        var cursor = ChainCursor(chain.writable)
        cursor.advance(VsockHeader.size)
        let limit = min(Int(connection.peerCredit), chain.writableCapacity - VsockHeader.size, 64 * 1024)
        var vectors = cursor.iovecs(limit: limit)
        let count = vectors.withUnsafeMutableBufferPointer { readv(connection.fd, $0.baseAddress, Int32($0.count)) }
        if count < 0 {
            if errno != EAGAIN && errno != EINTR { terminate(connection, sendReset: true) }
            return 0
        }
        if count == 0 {
            hostClosed(connection, hungUp: hybrid.peerHungUp(connection.fd))
            return 0
        }
        connection.sentToGuest &+= UInt32(count)
        let packet = packetHeader(connection.key, .rw, flags: 0, length: UInt32(count))
        var headerCursor = ChainCursor(chain.writable)
        header.withUnsafeMutableBytes { packet.write(to: $0) }
        _ = header.withUnsafeBytes { headerCursor.write($0) }
        return VsockHeader.size + count
    }
}
