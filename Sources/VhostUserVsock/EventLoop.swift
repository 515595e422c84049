import CVhostShim
#if canImport(Glibc)
import Glibc
#endif

/// The backend's single poll loop over every VM it serves: frontend messages, kicks, host
/// clients and host sockets.
///
/// A host socket is polled for input only while its guest has RX buffers and credit for it, and
/// for output only while bytes wait for it, so neither a stalled guest nor a slow host makes the
/// loop spin. Guest-to-guest packets move in `pump`: every guest's TX first (it may queue packets
/// for a sibling), then every guest's RX.
struct EventLoop {
    enum Source {
        case wake, listener(Int), frontend(Int), hybridListener(Int), kick(Int, Int), client(Int, Int)
        case connection(Int, ConnectionKey)
    }

    let slots: [VMSlot]
    let router: SiblingRouter
    let wakeFD: Int32
    let log: BackendLog

    init(slots: [VMSlot], router: SiblingRouter, wakeFD: Int32, log: BackendLog) {
        self.slots = slots
        self.router = router
        self.wakeFD = wakeFD
        self.log = log
    }

    /// Whether the loop is done: every VM had a frontend and none is connected any more.
    private var everyFrontendGone: Bool { slots.allSatisfy { $0.everConnected && !$0.isConnected } }

    mutating func run() throws(VhostUserError) {
        defer {
            for slot in slots { slot.logStatistics() }
            if slots.count > 1 { log.note("statistics: \(router.statistics)") }
        }
        var entries: [pollfd] = []
        var sources: [Source] = []
        while true {
            entries.removeAll(keepingCapacity: true)
            sources.removeAll(keepingCapacity: true)
            func watch(_ fd: Int32, _ events: Int32, _ source: Source) {
                entries.append(pollfd(fd: fd, events: Int16(events), revents: 0))
                sources.append(source)
            }
            watch(wakeFD, POLLIN, .wake)
            var holding = false
            for (vm, slot) in slots.enumerated() {
                watch(slot.isConnected ? slot.frontend : slot.listener, POLLIN, slot.isConnected ? .frontend(vm) : .listener(vm))
                watch(slot.udsListener, POLLIN, .hybridListener(vm))
                for (index, queue) in slot.server.queues.enumerated() where queue.kickFD >= 0 { watch(queue.kickFD, POLLIN, .kick(vm, index)) }
                for (index, client) in slot.clients.enumerated() { watch(client.fd, POLLIN, .client(vm, index)) }
                let receiving = slot.server.queues[0].isReady && !slot.rxStarved
                for connection in slot.device.connections.values where connection.fd >= 0 {
                    var events: Int32 = 0
                    if receiving && connection.wantsHostInput && connection.inputHeldSince == nil { events |= POLLIN }
                    holding = holding || connection.inputHeldSince != nil
                    if connection.pendingToHost > 0 { events |= POLLOUT }
                    if events != 0 { watch(connection.fd, events, .connection(vm, connection.key)) }
                }
                holding = holding || slot.heldSince != nil || slot.device.siblingPacketWaiting
            }
            let ready = entries.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), holding ? 1 : 1000) }
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "poll", errno: errno)
            }
            for slot in slots {
                slot.device.statistics.wakeups += 1
                slot.readable.removeAll(keepingCapacity: true)
            }
            let now = MonotonicClock.nanoseconds()
            var finishedClients: [(Int, Int)] = []
            for (entry, source) in zip(entries, sources) where entry.revents != 0 {
                switch source {
                case .wake:
                    return
                case .listener(let vm):
                    slots[vm].acceptFrontend()
                case .frontend(let vm):
                    if !slots[vm].serveFrontendMessage() {
                        slots[vm].frontendGone()
                        if everyFrontendGone { return }
                    }
                case .hybridListener(let vm):
                    slots[vm].acceptClients()
                case .kick(let vm, let index):
                    slots[vm].kicked(index)
                case .client(let vm, let index):
                    if slots[vm].readConnectLine(index) { finishedClients.append((vm, index)) }
                case .connection(let vm, let key):
                    let device = slots[vm].device
                    guard let connection = device.connections[key] else { continue }
                    if entry.revents & Int16(POLLOUT) != 0 { device.flushed(connection, connection.flush()) }
                    if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                        if router.delay == 0 { slots[vm].readable.append(key) } else if connection.inputHeldSince == nil { connection.inputHeldSince = now }
                    }
                }
            }
            if router.delay > 0 { releaseHeldInput(now: now) }
            for (vm, index) in finishedClients.reversed() { slots[vm].clients.remove(at: index) }
            for slot in slots { slot.pumpTransmit() }
            for slot in slots { slot.pumpReceive() }
            for slot in slots { slot.releaseHeldTransmits(now: MonotonicClock.nanoseconds()) }
        }
    }

    /// Host input held for `router.delay` becomes readable once the hold is over.
    private func releaseHeldInput(now: UInt64) {
        for slot in slots {
            for connection in slot.device.connections.values {
                guard let since = connection.inputHeldSince, now &- since >= router.delay else { continue }
                connection.inputHeldSince = nil
                slot.readable.append(connection.key)
            }
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds (transmit holds, delayed sibling packets).
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
