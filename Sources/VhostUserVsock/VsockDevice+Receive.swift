#if canImport(Glibc)
import Glibc
#endif

/// host -> guest: control packets and host socket input into the guest's RX buffers.
///
/// Host input is read with one `readv` into several RX buffers at once (each buffer's payload
/// area after its header), so a 4 KiB-buffer guest costs one syscall per 64 KiB, not per 4 KiB.
extension VsockDevice {
    /// Most payload one connection gets per turn (fairness between connections).
    static let receiveBudget = 64 * 1024
    /// Most RX buffers one `readv` fills.
    static let receiveBatch = 64

    /// Control packets or sibling packets wait for RX buffers.
    var hasQueuedPackets: Bool { !control.isEmpty || siblingPacketDue }

    /// The sibling inbox's head may be delivered now (a delayed packet waits for its time).
    var siblingPacketDue: Bool {
        guard inboxHead < siblingInbox.count else { return false }
        let due = siblingInbox[inboxHead].due
        return due == 0 || due <= MonotonicClock.nanoseconds()
    }

    /// A sibling packet waits for its delivery time: the event loop must wake for it.
    var siblingPacketWaiting: Bool { inboxHead < siblingInbox.count && !siblingPacketDue }

    /// Fills RX buffers: queued control packets first, then host input round-robin over
    /// `readable`. Returns false when the guest ran out of RX buffers (wait for its kick).
    func fillReceive(_ queue: inout Virtqueue, memory: GuestMemory, readable: inout [ConnectionKey]) -> Bool {
        defer { queue.notify() }
        if receiveChains.isEmpty { receiveChains.append(DescriptorChain()) }
        var index = 0
        while hasQueuedPackets || !readable.isEmpty {
            if !control.isEmpty {
                var clean = true
                guard nextChain(&queue, memory: memory, into: 0, clean: &clean) else { return false }
                queue.push(head: receiveChains[0].head, length: sendControl(control.removeFirst(), into: receiveChains[0]))
                continue
            }
            if siblingPacketDue {
                var clean = true
                guard nextChain(&queue, memory: memory, into: 0, clean: &clean) else { return false }
                queue.push(head: receiveChains[0].head, length: sendSibling(into: receiveChains[0]))
                continue
            }
            index %= readable.count
            guard let connection = connections[readable[index]], connection.wantsHostInput else {
                readable.remove(at: index)
                continue
            }
            switch receive(from: connection, queue: &queue, memory: memory) {
            case .noBuffers: return false
            case .more: index += 1
            case .drained: readable.remove(at: index)
            }
        }
        return true
    }

    /// Pops the next RX chain that can hold a header into `receiveChains[slot]`; false when the
    /// driver has none (kicks are re-armed). A malformed chain clears `clean`: chains popped
    /// before it can no longer be put back.
    private func nextChain(_ queue: inout Virtqueue, memory: GuestMemory, into slot: Int, clean: inout Bool) -> Bool {
        while true {
            do {
                if try queue.pop(memory, into: &receiveChains[slot]) {
                    let capacity = receiveChains[slot].writableCapacity
                    if capacity >= VsockHeader.size { return true }
                    queue.push(head: receiveChains[slot].head, length: 0)
                    log.note("rx: buffer of \(capacity) bytes cannot hold a header")
                    clean = false
                    continue
                }
            } catch {
                log.note("rx: \(error)")
                clean = false
                continue
            }
            if !queue.armKick() { return false }
        }
    }

    func packetHeader(_ key: ConnectionKey, _ op: VsockHeader.Op, flags: UInt32, length: UInt32) -> VsockHeader {
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

    /// Writes a header at the start of a chain; returns the bytes written.
    private func writeHeader(_ packet: VsockHeader, into chain: DescriptorChain) -> Int {
        packet.write(to: header)
        var cursor = ChainCursor(chain.writable)
        return cursor.write(UnsafeRawBufferPointer(header))
    }

    private func sendControl(_ item: Control, into chain: DescriptorChain) -> UInt32 {
        let packet: VsockHeader = switch item {
        case .raw(let header): header
        case .connection(let key, let op, let flags): packetHeader(key, op, flags: flags, length: 0)
        }
        return UInt32(writeHeader(packet, into: chain))
    }

    /// Writes the head of the sibling inbox into one RX chain: the whole packet when it fits,
    /// else as much payload as fits as an RW packet of its own (stream data may be split).
    private func sendSibling(into chain: DescriptorChain) -> UInt32 {
        var packet = siblingInbox[inboxHead]
        let room = chain.writableCapacity - VsockHeader.size
        let count = min(room, packet.payload.count - packet.offset)
        var header = packet.header
        header.length = UInt32(count)
        header.write(to: self.header)
        var cursor = ChainCursor(chain.writable)
        var written = cursor.write(UnsafeRawBufferPointer(self.header))
        written += packet.payload.withUnsafeBytes { cursor.write(UnsafeRawBufferPointer(rebasing: $0[packet.offset..<packet.offset + count])) }
        packet.offset += count
        statistics.siblingPackets += 1
        if packet.offset >= packet.payload.count {
            dequeueSibling()
        } else {
            siblingInbox[inboxHead] = packet
        }
        return UInt32(written)
    }

    enum ReceiveProgress { case noBuffers, more, drained }

    /// Reads host input straight into as many RX chains as the guest's credit and the turn's
    /// budget allow (one `readv`), one RW packet per chain. Chains left unfilled go back.
    private func receive(from connection: VsockConnection, queue: inout Virtqueue, memory: GuestMemory) -> ReceiveProgress {
        let budget = min(Int(connection.peerCredit), Self.receiveBudget)
        var popped = 0, wanted = 0
        var clean = true
        vectors.removeAll(keepingCapacity: true)
        receiveCapacities.removeAll(keepingCapacity: true)
        while wanted < budget && popped < Self.receiveBatch {
            if popped == receiveChains.count { receiveChains.append(DescriptorChain()) }
            guard nextChain(&queue, memory: memory, into: popped, clean: &clean) else { break }
            var cursor = ChainCursor(receiveChains[popped].writable)
            cursor.advance(VsockHeader.size)
            let capacity = cursor.appendIOVecs(limit: budget - wanted, to: &vectors)
            receiveCapacities.append(capacity)
            wanted += capacity
            popped += 1
        }
        if popped == 0 { return .noBuffers }
        let count = vectors.withUnsafeMutableBufferPointer { readv(connection.fd, $0.baseAddress, Int32($0.count)) }
        let failure = errno
        var filled = 0
        if count > 0 {
            connection.sentToGuest &+= UInt32(count)
            statistics.receiveBytes += count
            var left = count
            while left > 0 {
                let length = min(left, receiveCapacities[filled])
                let packet = packetHeader(connection.key, .rw, flags: 0, length: UInt32(length))
                _ = writeHeader(packet, into: receiveChains[filled])
                queue.push(head: receiveChains[filled].head, length: UInt32(VsockHeader.size + length))
                left -= length
                filled += 1
            }
            statistics.receivePackets += filled
        }
        giveBack(popped - filled, of: popped, clean: clean, queue: &queue)
        if count < 0 {
            if failure != EAGAIN && failure != EINTR { terminate(connection, sendReset: true) }
            return .drained
        }
        if count == 0 {
            hostClosed(connection, hungUp: hybrid.peerHungUp(connection.fd))
            return .drained
        }
        // A short read emptied the socket; poll reports it again when more arrives.
        return count < wanted ? .drained : .more
    }

    /// Returns unfilled chains (the last `unused` of `popped`): back to the avail ring when no
    /// malformed chain was consumed in between, else as used with length 0 (the guest drops those).
    private func giveBack(_ unused: Int, of popped: Int, clean: Bool, queue: inout Virtqueue) {
        guard unused > 0 else { return }
        if clean { return queue.unpop(unused) }
        for slot in (popped - unused)..<popped { queue.push(head: receiveChains[slot].head, length: 0) }
    }
}
