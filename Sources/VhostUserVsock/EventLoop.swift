import CVhostShim
#if canImport(Glibc)
import Glibc
#endif

/// The backend's single poll loop: frontend messages, kicks, host clients and host sockets.
///
/// A host socket is polled for input only while the guest has RX buffers and credit for it, and
/// for output only while bytes wait for it, so neither a stalled guest nor a slow host makes the
/// loop spin.
struct EventLoop {
    enum Source { case wake, listener, frontend, hybridListener, kick(Int), client(Int), connection(ConnectionKey) }

    let server: VhostUserServer
    let wakeFD: Int32
    let listener: Int32
    let udsListener: Int32
    let log: BackendLog
    private var frontend: Int32 = -1
    private var clients: [PendingClient] = []
    private var rxStarved = false
    /// Connections whose host socket polled readable in this round (reused between rounds).
    private var readable: [ConnectionKey] = []
    /// When consumed TX chains started waiting to go back to the guest (monotonic ns).
    private var heldSince: UInt64?
    /// How long consumed TX chains wait at most for a batch to fill.
    static let transmitHold: UInt64 = 1_000_000

    init(server: VhostUserServer, wakeFD: Int32, listener: Int32, udsListener: Int32, log: BackendLog) {
        self.server = server
        self.wakeFD = wakeFD
        self.listener = listener
        self.udsListener = udsListener
        self.log = log
    }

    private var device: VsockDevice { server.device }

    mutating func run() throws(VhostUserError) {
        defer {
            var statistics = device.statistics
            statistics.interrupts = server.queues.map(\.interrupts)
            log.note("statistics: \(statistics)")
            if frontend >= 0 { close(frontend) }
            for client in clients { close(client.fd) }
            device.reset()
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
            watch(frontend >= 0 ? frontend : listener, POLLIN, frontend >= 0 ? .frontend : .listener)
            watch(udsListener, POLLIN, .hybridListener)
            for (index, queue) in server.queues.enumerated() where queue.kickFD >= 0 { watch(queue.kickFD, POLLIN, .kick(index)) }
            for (index, client) in clients.enumerated() { watch(client.fd, POLLIN, .client(index)) }
            let receiving = server.queues[0].isReady && !rxStarved
            for connection in device.connections.values where connection.fd >= 0 {
                var events: Int32 = 0
                if receiving && connection.wantsHostInput { events |= POLLIN }
                if connection.pendingToHost > 0 { events |= POLLOUT }
                if events != 0 { watch(connection.fd, events, .connection(connection.key)) }
            }
            let timeout: Int32 = heldSince == nil ? 1000 : 1
            let ready = entries.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "poll", errno: errno)
            }
            device.statistics.wakeups += 1
            readable.removeAll(keepingCapacity: true)
            var finishedClients: [Int] = []
            for (entry, source) in zip(entries, sources) where entry.revents != 0 {
                switch source {
                case .wake:
                    return
                case .listener:
                    acceptFrontend()
                case .frontend:
                    guard try serveFrontendMessage() else { return drainAfterHangup() }
                case .hybridListener:
                    while let fd = UnixSocket.accept(udsListener) { clients.append(PendingClient(fd: fd)) }
                case .kick(let index):
                    _ = avps_eventfd_drain(server.queues[index].kickFD)
                    device.statistics.kicks[index] += 1
                    if index == 0 { rxStarved = false }
                case .client(let index):
                    if readConnectLine(index) { finishedClients.append(index) }
                case .connection(let key):
                    guard let connection = device.connections[key] else { continue }
                    if entry.revents & Int16(POLLOUT) != 0 { device.flushed(connection, connection.flush()) }
                    if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readable.append(key) }
                }
            }
            for index in finishedClients.reversed() { clients.remove(at: index) }
            pump()
            releaseHeldTransmits()
        }
    }

    /// Returns consumed TX chains that waited `transmitHold`: a quiet guest gets its packets back
    /// soon, a busy one in batches.
    private mutating func releaseHeldTransmits() {
        guard server.queues[1].staged > 0 else { return heldSince = nil }
        let now = Self.monotonicNanoseconds()
        guard let since = heldSince else { return heldSince = now }
        if now &- since >= Self.transmitHold {
            device.releaseTransmitted(&server.queues[1])
            heldSince = nil
        }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Moves whatever can move: guest TX first (it may queue replies), then RX.
    private mutating func pump() {
        guard let memory = server.memory else { return }
        if server.queues[1].isReady { device.processTransmit(&server.queues[1], memory: memory) }
        if server.queues[0].isReady && !rxStarved && (device.hasControl || !readable.isEmpty) {
            rxStarved = !device.fillReceive(&server.queues[0], memory: memory, readable: &readable)
            if rxStarved { device.statistics.receiveStarved += 1 }
        }
    }

    /// QEMU hung up (the guest powered off): guest RAM stays mapped, so packets the guest queued
    /// last (an agent's final answer) still reach their host sockets.
    private mutating func drainAfterHangup() {
        readable.removeAll()
        pump()
        device.releaseTransmitted(&server.queues[1])
        for connection in device.connections.values { _ = connection.flush() }
    }

    private mutating func acceptFrontend() {
        guard let fd = UnixSocket.accept(listener) else { return }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)  // messages are read whole
        frontend = fd
        rxStarved = false
    }

    /// Reads and answers one message; false when the frontend hung up (or broke the framing).
    private mutating func serveFrontendMessage() throws(VhostUserError) -> Bool {
        var header = [UInt8](repeating: 0, count: VhostUserMessage.headerSize)
        var fds = [Int32](repeating: -1, count: Int(AVPS_VHOST_MAX_FDS))
        var count: Int32 = 0
        let got = header.withUnsafeMutableBytes { raw in
            avps_recv_with_fds(frontend, raw.baseAddress, raw.count, &fds, Int32(AVPS_VHOST_MAX_FDS), &count)
        }
        let passed = Array(fds.prefix(Int(count)))
        guard got == VhostUserMessage.headerSize || (got > 0 && readExactly(&header, from: got)) else {
            for fd in passed { close(fd) }
            if got != 0 { log.note("frontend: short or failed header read (\(got))") }
            return false
        }
        let request: UInt32, flags: UInt32, size: Int
        do { (request, flags, size) = try VhostUserMessage.parseHeader(header) } catch {
            for fd in passed { close(fd) }
            log.note("frontend: \(error); closing the connection")
            return false
        }
        var payload = [UInt8](repeating: 0, count: size)
        guard size == 0 || readExactly(&payload, from: 0) else {
            for fd in passed { close(fd) }
            return false
        }
        let wasReady = server.queues.map(\.isReady)
        if let reply = server.handle(VhostUserMessage(request: request, flags: flags, payload: payload), fds: passed) {
            _ = reply.withUnsafeBytes { avps_send_with_fds(frontend, $0.baseAddress, $0.count, nil, 0) }
        }
        if server.queues.map(\.isReady) != wasReady { rxStarved = false }
        return true
    }

    private func readExactly(_ buffer: inout [UInt8], from start: Int) -> Bool {
        var offset = start
        while offset < buffer.count {
            let got = buffer.withUnsafeMutableBytes { recv(frontend, $0.baseAddress.map { $0 + offset }, $0.count - offset, 0) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return false }
            offset += got
        }
        return true
    }

    /// Returns true when the client is done with (connected to the guest, or refused).
    private mutating func readConnectLine(_ index: Int) -> Bool {
        switch clients[index].readLine() {
        case .waiting:
            return false
        case .connect(let port):
            UnixSocket.enlargeSendBuffer(clients[index].fd)
            device.connectToGuest(port: port, fd: clients[index].fd)
            return true
        case .invalid:
            close(clients[index].fd)
            return true
        }
    }
}
