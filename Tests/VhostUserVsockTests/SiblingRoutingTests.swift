import Foundation
import Testing
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

/// Guest-to-guest vsock through one backend: two hand-built guests (CID 3 and 4) on one router.
@Suite("guest-to-guest vsock routing")
struct SiblingRoutingTests {
    typealias Fixture = VsockDeviceTests.Fixture

    /// Two running guests on one router (the router is returned: devices only hold it weakly).
    static func pair(delay: UInt64 = 0) throws -> (SiblingRouter, Fixture, Fixture) {
        let router = SiblingRouter(log: BackendLog(verbose: false), delay: delay)
        let a = try Fixture(cid: 3), b = try Fixture(cid: 4)
        for fixture in [a, b] {
            router.attach(fixture.device)
            fixture.device.driverReady = true
        }
        return (router, a, b)
    }

    /// A connects from port 900 to B's port 5000 and B accepts; B advertises `bufferAllocation`.
    static func connect(_ a: Fixture, _ b: Fixture, bufferAllocation: UInt32 = 256 << 10) throws {
        a.transmit(vsockPacket(op: 1, sourcePort: 900, destinationPort: 5000, cid: 3, to: 4))
        let request = try #require(b.receive().first?.0)
        #expect(request.op == 1 && request.sourceCID == 3 && request.destinationCID == 4 && request.sourcePort == 900)
        b.transmit(vsockPacket(op: 2, sourcePort: 5000, destinationPort: 900, bufferAllocation: bufferAllocation, cid: 4, to: 3))
        #expect(a.receive().map(\.0.op) == [2])
    }

    @Test("REQUEST/RESPONSE, a 10,000-byte RW split over the receiver's 4 KiB buffers, credit update back")
    func routesBothWays() throws {
        let (router, a, b) = try Self.pair()
        try Self.connect(a, b)
        let blob = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        a.transmit(vsockPacket(op: 5, sourcePort: 900, destinationPort: 5000, payload: blob, cid: 3, to: 4))
        let pieces = b.receive(buffers: 4)
        #expect(pieces.map(\.1.count) == [4096, 4096, 1808])
        #expect(pieces.allSatisfy { $0.0.op == 5 && $0.0.sourceCID == 3 && Int($0.0.length) == $0.1.count })
        #expect(pieces.flatMap(\.1) == blob)
        b.transmit(vsockPacket(op: 6, sourcePort: 5000, destinationPort: 900, forwardCount: 10_000, cid: 4, to: 3))
        let update = try #require(a.receive().first?.0)
        #expect(update.op == 6 && update.forwardCount == 10_000 && update.sourceCID == 4)
        #expect(router.links.count == 1 && router.statistics.bytes == 10_000)
        // RST ends the connection on both sides of the router.
        a.transmit(vsockPacket(op: 3, sourcePort: 900, destinationPort: 5000, cid: 3, to: 4))
        #expect(b.receive().map(\.0.op) == [3])
        #expect(router.links.isEmpty)
    }

    /// The slow-path negative control (AUTO-VSOCK-03): a held packet is not delivered before its time.
    @Test("a router with a delay holds each forwarded packet that long, then delivers it unchanged")
    func delayedDelivery() throws {
        let (router, a, b) = try Self.pair(delay: 50_000_000)
        let sent = ContinuousClock.now
        a.transmit(vsockPacket(op: 1, sourcePort: 900, destinationPort: 5000, cid: 3, to: 4))
        #expect(b.receive().isEmpty && b.device.siblingPacketWaiting, "delivered before its 50 ms")
        while b.device.siblingPacketWaiting { usleep(2_000) }
        #expect(ContinuousClock.now - sent >= .milliseconds(50))
        #expect(b.receive().map(\.0.op) == [1] && router.statistics.packets == 1)
    }

    @Test("a sender that overruns the credit its peer advertised loses the connection (RST to both)")
    func creditEnforced() throws {
        let (router, a, b) = try Self.pair()
        try Self.connect(a, b, bufferAllocation: 100)
        a.transmit(vsockPacket(op: 5, sourcePort: 900, destinationPort: 5000, payload: [UInt8](repeating: 7, count: 60), cid: 3, to: 4))
        #expect(b.receive().map(\.1.count) == [60])
        // 60 + 60 > 100 while B has forwarded nothing: over the credit.
        a.transmit(vsockPacket(op: 5, sourcePort: 900, destinationPort: 5000, payload: [UInt8](repeating: 7, count: 60), cid: 3, to: 4))
        #expect(b.receive().map(\.0.op) == [3])
        #expect(a.receive().map(\.0.op) == [3])
        #expect(router.links.isEmpty && router.statistics.creditViolations == 1)
        // Within credit again once the receiver reports what it consumed.
        try Self.connect(a, b, bufferAllocation: 100)
        a.transmit(vsockPacket(op: 5, sourcePort: 900, destinationPort: 5000, payload: [UInt8](repeating: 1, count: 80), cid: 3, to: 4))
        b.transmit(vsockPacket(op: 6, sourcePort: 5000, destinationPort: 900, bufferAllocation: 100, forwardCount: 80, cid: 4, to: 3))
        a.transmit(vsockPacket(op: 5, sourcePort: 900, destinationPort: 5000, payload: [UInt8](repeating: 2, count: 80), cid: 3, to: 4))
        #expect(b.receive().map(\.0.op) == [5, 5])
        #expect(router.links.count == 1)
    }

    @Test("unknown CID, a VM that is not running, a connection never opened: RST; an RST is never answered")
    func refusals() throws {
        let (router, a, b) = try Self.pair()
        a.transmit(vsockPacket(op: 1, sourcePort: 901, destinationPort: 5000, cid: 3, to: 9))
        let refused = try #require(a.receive().first?.0)
        #expect(refused.op == 3 && refused.sourceCID == 9 && refused.sourcePort == 5000 && refused.destinationPort == 901)
        b.device.driverReady = false
        a.transmit(vsockPacket(op: 1, sourcePort: 902, destinationPort: 5000, cid: 3, to: 4))
        #expect(a.receive().map(\.0.op) == [3])
        b.device.driverReady = true
        a.transmit(vsockPacket(op: 5, sourcePort: 903, destinationPort: 5000, payload: [1], cid: 3, to: 4))
        a.transmit(vsockPacket(op: 3, sourcePort: 903, destinationPort: 5000, cid: 3, to: 4))
        #expect(a.receive().map(\.0.op) == [3])
        #expect(b.receive().isEmpty && router.links.isEmpty && router.statistics.refused == 3)
    }

    @Test("a guest cannot send as its sibling's CID")
    func spoofedSourceDropped() throws {
        let (router, a, b) = try Self.pair()
        a.transmit(vsockPacket(op: 1, sourcePort: 904, destinationPort: 5000, cid: 4, to: 4))
        a.transmit(vsockPacket(op: 1, sourcePort: 905, destinationPort: 5000, cid: 5, to: 4))
        #expect(b.receive().isEmpty && router.links.isEmpty)
    }

    @Test("a VM that goes away ends only its own connections: its sibling hears RST, host connections live on")
    func teardownWithTheVM() throws {
        let (router, a, b) = try Self.pair()
        let listener = try UnixSocket.listen(path: a.directory + "/v.sock_6000")
        defer { close(listener) }
        a.transmit(vsockPacket(op: 1, sourcePort: 777, destinationPort: 6000, cid: 3))
        let host = try #require(UnixSocket.accept(listener))
        defer { close(host) }
        #expect(a.receive().map(\.0.op) == [2])
        try Self.connect(a, b)
        b.device.reset()  // B's driver reset (GET_VRING_BASE) or its QEMU hung up
        let reset = try #require(a.receive().first?.0)
        #expect(reset.op == 3 && reset.sourceCID == 4 && reset.sourcePort == 5000 && reset.destinationPort == 900)
        #expect(router.links.isEmpty && router.statistics.teardowns == 1)
        #expect(a.device.connections.count == 1)  // A's host connection is untouched
        a.transmit(vsockPacket(op: 5, sourcePort: 777, destinationPort: 6000, payload: Array("still".utf8), cid: 3))
        var buffer = [UInt8](repeating: 0, count: 16)
        let got = read(host, &buffer, 16)
        #expect(Array(buffer.prefix(max(got, 0))) == Array("still".utf8))
    }

    @Test("--vm specs: keys, defaults and errors that name the key")
    func vmSpecs() throws {
        #expect(try VsockVM.parse("cid=4,socket=/a,uds=/b") == VsockVM(socketPath: "/a", udsPath: "/b", guestCID: 4))
        #expect(try VsockVM.parse("guest-cid=5,socket=/a,uds-path=/b") == VsockVM(socketPath: "/a", udsPath: "/b", guestCID: 5))
        #expect(try VsockVM.parse("cid=3,socket=/a", defaultUDS: "/u").udsPath == "/u")
        for (spec, words) in [("cid=3,socket=/a", "uds="), ("socket=/a,uds=/b", "cid="), ("cid=x,socket=/a,uds=/b", "'x'"),
                              ("cid=3,socket=/a,uds=/b,colour=red", "'colour'"), ("cid=3,socket", "'socket'")] {
            #expect(throws: VhostUserError.self) { try VsockVM.parse(spec) }
            do { _ = try VsockVM.parse(spec) } catch { #expect("\(error)".contains(words), "\(spec): \(error)") }
        }
        let twice = VsockBackendConfiguration(vms: [VsockVM(socketPath: "/a", udsPath: "/b", guestCID: 3),
                                                    VsockVM(socketPath: "/c", udsPath: "/d", guestCID: 3)])
        #expect(throws: VhostUserError.configuration("CID 3 is given to two VMs")) { try twice.validate() }
        let shared = VsockBackendConfiguration(vms: [VsockVM(socketPath: "/a", udsPath: "/b", guestCID: 3),
                                                     VsockVM(socketPath: "/a", udsPath: "/d", guestCID: 4)])
        #expect(throws: VhostUserError.configuration("socket path /a is given twice")) { try shared.validate() }
    }
}
