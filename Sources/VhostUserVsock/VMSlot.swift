import CVhostShim
#if canImport(Glibc)
import Glibc
#endif

/// One VM of a backend: its vhost-user listener and frontend, its rings and vsock device, its
/// hybrid-vsock listener and the host clients still sending their `CONNECT` line.
///
/// A frontend that hangs up (QEMU exited) leaves the slot listening again with a fresh device,
/// so a VM of a system can be restarted while its siblings keep running.
final class VMSlot {
    let vm: VsockVM
    let listener: Int32
    let udsListener: Int32
    let router: SiblingRouter
    let log: BackendLog
    private(set) var server: VhostUserServer
    private(set) var frontend: Int32 = -1
    /// A frontend connected at least once (the backend ends when every VM's frontend is gone).
    private(set) var everConnected = false
    var clients: [PendingClient] = []
    var rxStarved = false
    /// Connections whose host socket polled readable in this round (reused between rounds).
    var readable: [ConnectionKey] = []
    /// When consumed TX chains started waiting to go back to the guest (monotonic ns).
    var heldSince: UInt64?
    /// How long consumed TX chains wait at most for a batch to fill.
    static let transmitHold: UInt64 = 1_000_000
    /// Statistics of the devices this slot had before (one per frontend session).
    private var earlier: [String] = []

    init(vm: VsockVM, router: SiblingRouter, log: BackendLog) throws(VhostUserError) {
        self.vm = vm
        self.router = router
        self.log = log
        listener = try UnixSocket.listen(path: vm.socketPath)
        do { udsListener = try HybridEndpoints(path: vm.udsPath).listen() } catch {
            Glibc.close(listener)
            unlink(vm.socketPath)
            throw error
        }
        server = Self.makeServer(vm, router: router, log: log)
    }

    private static func makeServer(_ vm: VsockVM, router: SiblingRouter, log: BackendLog) -> VhostUserServer {
        let device = VsockDevice(guestCID: vm.guestCID, hybrid: HybridEndpoints(path: vm.udsPath), log: log)
        router.attach(device)
        return VhostUserServer(device: device, log: log)
    }

    var device: VsockDevice { server.device }
    var isConnected: Bool { frontend >= 0 }

    /// Closes everything and removes both socket files.
    func close() {
        endSession()
        for client in clients { Glibc.close(client.fd) }
        clients.removeAll()
        Glibc.close(listener); Glibc.close(udsListener)
        unlink(vm.socketPath); unlink(vm.udsPath)
    }

    /// Logs this slot's counters (one line per frontend session).
    func logStatistics() {
        for line in earlier { log.note("statistics CID \(vm.guestCID): \(line)") }
        if isConnected { log.note("statistics CID \(vm.guestCID): \(sessionStatistics)") }
    }

    private var sessionStatistics: String {
        var statistics = device.statistics
        statistics.interrupts = server.queues.map(\.interrupts)
        return "\(statistics)"
    }

    func acceptFrontend() {
        guard frontend < 0, let fd = UnixSocket.accept(listener) else { return }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)  // messages are read whole
        frontend = fd
        everConnected = true
        rxStarved = false
    }

    /// The frontend hung up: drain what the guest queued last, end its connections (siblings
    /// hear RST) and start over with a fresh device that waits for the next frontend.
    func frontendGone() {
        drainAfterHangup()
        endSession()
        server = Self.makeServer(vm, router: router, log: log)
    }

    private func endSession() {
        guard frontend >= 0 else { return }
        earlier.append(sessionStatistics)
        Glibc.close(frontend)
        frontend = -1
        device.driverReady = false
        device.reset()
        readable.removeAll()
        heldSince = nil
    }

    /// QEMU hung up (the guest powered off): guest RAM stays mapped, so packets the guest queued
    /// last (an agent's final answer) still reach their host sockets.
    private func drainAfterHangup() {
        readable.removeAll()
        pump()
        device.releaseTransmitted(&server.queues[1])
        for connection in device.connections.values { _ = connection.flush() }
    }

    func kicked(_ index: Int) {
        _ = avps_eventfd_drain(server.queues[index].kickFD)
        device.statistics.kicks[index] += 1
        if index == 0 { rxStarved = false }
    }

    /// Guest TX: may queue replies here and packets for siblings.
    func pumpTransmit() {
        guard let memory = server.memory, server.queues[1].isReady else { return }
        device.processTransmit(&server.queues[1], memory: memory)
    }

    /// Guest RX: control and sibling packets first, then host input.
    func pumpReceive() {
        guard let memory = server.memory, server.queues[0].isReady, !rxStarved,
              device.hasQueuedPackets || !readable.isEmpty else { return }
        rxStarved = !device.fillReceive(&server.queues[0], memory: memory, readable: &readable)
        if rxStarved { device.statistics.receiveStarved += 1 }
    }

    func pump() {
        pumpTransmit()
        pumpReceive()
    }

    /// Returns consumed TX chains that waited `transmitHold`: a quiet guest gets its packets back
    /// soon, a busy one in batches.
    func releaseHeldTransmits(now: UInt64) {
        guard server.queues[1].staged > 0 else { return heldSince = nil }
        guard let since = heldSince else { return heldSince = now }
        if now &- since >= Self.transmitHold {
            device.releaseTransmitted(&server.queues[1])
            heldSince = nil
        }
    }

    /// Reads and answers one message; false when the frontend hung up (or broke the framing).
    func serveFrontendMessage() -> Bool {
        var header = [UInt8](repeating: 0, count: VhostUserMessage.headerSize)
        var fds = [Int32](repeating: -1, count: Int(AVPS_VHOST_MAX_FDS))
        var count: Int32 = 0
        let got = header.withUnsafeMutableBytes { raw in
            avps_recv_with_fds(frontend, raw.baseAddress, raw.count, &fds, Int32(AVPS_VHOST_MAX_FDS), &count)
        }
        let passed = Array(fds.prefix(Int(count)))
        guard got == VhostUserMessage.headerSize || (got > 0 && readExactly(&header, from: got)) else {
            for fd in passed { Glibc.close(fd) }
            if got != 0 { log.note("frontend CID \(vm.guestCID): short or failed header read (\(got))") }
            return false
        }
        let request: UInt32, flags: UInt32, size: Int
        do { (request, flags, size) = try VhostUserMessage.parseHeader(header) } catch {
            for fd in passed { Glibc.close(fd) }
            log.note("frontend CID \(vm.guestCID): \(error); closing the connection")
            return false
        }
        var payload = [UInt8](repeating: 0, count: size)
        guard size == 0 || readExactly(&payload, from: 0) else {
            for fd in passed { Glibc.close(fd) }
            return false
        }
        let wasReady = server.queues.map(\.isReady)
        if let reply = server.handle(VhostUserMessage(request: request, flags: flags, payload: payload), fds: passed) {
            _ = reply.withUnsafeBytes { avps_send_with_fds(frontend, $0.baseAddress, $0.count, nil, 0) }
        }
        let ready = server.queues.map(\.isReady)
        if ready != wasReady { rxStarved = false }
        device.driverReady = ready.allSatisfy { $0 }
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

    func acceptClients() {
        while let fd = UnixSocket.accept(udsListener) { clients.append(PendingClient(fd: fd)) }
    }

    /// Returns true when the client is done with (connected to the guest, or refused).
    func readConnectLine(_ index: Int) -> Bool {
        switch clients[index].readLine() {
        case .waiting:
            return false
        case .connect(let port):
            UnixSocket.enlargeSendBuffer(clients[index].fd)
            device.connectToGuest(port: port, fd: clients[index].fd)
            return true
        case .invalid:
            Glibc.close(clients[index].fd)
            return true
        }
    }
}
