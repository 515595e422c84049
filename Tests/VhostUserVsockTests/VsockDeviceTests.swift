import CVhostShim
import Foundation
import Testing
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

/// The vsock state machine between hand-built rings and real Unix sockets on the host side.
@Suite("vsock device state machine")
struct VsockDeviceTests {
    final class Fixture {
        let driver = RingDriver(size: 16)
        var rx: Virtqueue
        var tx: Virtqueue
        let device: VsockDevice
        let directory: String

        init(cid: UInt64 = 3) throws {
            rx = try driver.queue()
            tx = try driver.queue()
            // Two rings in one RAM: give tx its own ring area by offsetting its addresses.
            var payload = [UInt8](repeating: 0, count: 40)
            payload.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: RingDriver.userBase + 0x4000, toByteOffset: 8, as: UInt64.self)
                raw.storeBytes(of: RingDriver.userBase + 0x6000, toByteOffset: 16, as: UInt64.self)
                raw.storeBytes(of: RingDriver.userBase + 0x5000, toByteOffset: 24, as: UInt64.self)
            }
            tx.addresses = try VringAddresses(payload)
            try tx.resolve(driver.memory)
            directory = NSTemporaryDirectory() + "vsock-unit-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            device = VsockDevice(guestCID: cid, hybrid: HybridEndpoints(path: directory + "/v.sock"), log: BackendLog(verbose: false))
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        /// Sends one guest packet on TX (written raw into the TX ring area).
        func transmit(_ packet: [UInt8]) {
            let address = driver.buffer(packet)
            let slot = Int(txAvail) % driver.size
            let entry = driver.ram + 0x4000 + 16 * slot
            entry.storeBytes(of: address.littleEndian, as: UInt64.self)
            entry.storeBytes(of: UInt32(packet.count).littleEndian, toByteOffset: 8, as: UInt32.self)
            entry.storeBytes(of: UInt16(0), toByteOffset: 12, as: UInt16.self)
            (driver.ram + 0x5000 + 4 + 2 * slot).storeBytes(of: UInt16(slot).littleEndian, as: UInt16.self)
            txAvail &+= 1
            (driver.ram + 0x5000 + 2).storeBytes(of: txAvail.littleEndian, as: UInt16.self)
            device.processTransmit(&tx, memory: driver.memory)
        }
        private var txAvail: UInt16 = 0

        /// RX buffers the driver has offered and the device has not used yet, by head.
        private var outstanding: [UInt16: (header: UInt64, data: UInt64)] = [:]

        /// Keeps `count` RX buffers offered (6.1-style: header descriptor + 4 KiB data descriptor),
        /// lets the device fill them, and returns the packets it wrote.
        func receive(buffers count: Int = 4, readable: [ConnectionKey] = []) -> [(VsockHeader, [UInt8])] {
            while outstanding.count < count {
                let header = driver.buffer(capacity: 44), data = driver.buffer(capacity: 4096)
                outstanding[driver.offer([(header, 44, true), (data, 4096, true)])] = (header, data)
            }
            let before = Int(driver.usedIndex)
            var readable = readable
            _ = device.fillReceive(&rx, memory: driver.memory, readable: &readable)
            return (before..<Int(driver.usedIndex)).compactMap { slot in
                let used = driver.used(slot)
                guard let buffers = outstanding.removeValue(forKey: UInt16(used.id)) else { return nil }
                let packet = driver.bytes(at: buffers.header, count: 44).withUnsafeBytes { VsockHeader(bytes: $0) }
                return (packet, driver.bytes(at: buffers.data, count: Int(used.length) - 44))
            }
        }
    }

    @Test("guest connect to a listening host port: RESPONSE, data both ways, credit, SHUTDOWN -> RST")
    func guestInitiated() throws {
        let fixture = try Fixture()
        let listener = try UnixSocket.listen(path: fixture.directory + "/v.sock_5000")
        defer { close(listener) }
        fixture.transmit(vsockPacket(op: 1, sourcePort: 777, destinationPort: 5000))
        let host = try #require(UnixSocket.accept(listener))
        defer { close(host) }
        let replies = fixture.receive()
        #expect(replies.map(\.0.op) == [2])
        #expect(replies[0].0.destinationPort == 777 && replies[0].0.sourcePort == 5000)

        fixture.transmit(vsockPacket(op: 5, sourcePort: 777, destinationPort: 5000, payload: Array("hello".utf8)))
        var buffer = [UInt8](repeating: 0, count: 16)
        let got = read(host, &buffer, 16)
        #expect(Array(buffer.prefix(max(got, 0))) == Array("hello".utf8))

        _ = Array("world!".utf8).withUnsafeBytes { write(host, $0.baseAddress, $0.count) }
        let key = ConnectionKey(hostPort: 5000, guestPort: 777)
        let data = fixture.receive(readable: [key])
        #expect(data.count == 1)
        #expect(data.first?.0.op == 5 && data.first?.1 == Array("world!".utf8))
        #expect(data.first?.0.forwardCount == 5)

        fixture.transmit(vsockPacket(op: 7, sourcePort: 777, destinationPort: 5000))
        #expect(fixture.receive().map(\.0.op) == [6])

        fixture.transmit(vsockPacket(op: 4, sourcePort: 777, destinationPort: 5000, flags: 3))
        #expect(fixture.receive().map(\.0.op) == [3])
        #expect(fixture.device.connections.isEmpty)
        #expect(read(host, &buffer, 16) == 0)  // the host sees end of stream
    }

    @Test("guest connect to a port nobody listens on is answered with RST")
    func refused() throws {
        let fixture = try Fixture()
        fixture.transmit(vsockPacket(op: 1, sourcePort: 778, destinationPort: 6000))
        let replies = fixture.receive()
        #expect(replies.map(\.0.op) == [3])
        #expect(fixture.device.connections.isEmpty)
        // Data for an unknown connection also gets RST, an RST never does.
        fixture.transmit(vsockPacket(op: 5, sourcePort: 778, destinationPort: 6000, payload: [1]))
        fixture.transmit(vsockPacket(op: 3, sourcePort: 778, destinationPort: 6000))
        #expect(fixture.receive().map(\.0.op) == [3])
    }

    @Test("host CONNECT: REQUEST to the guest, OK line after RESPONSE, no host reads without guest credit")
    func hostInitiated() throws {
        let fixture = try Fixture()
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        UnixSocket.setNonBlocking(pair[0])
        fixture.device.connectToGuest(port: 1024, fd: pair[0])
        let request = try #require(fixture.receive().first?.0)
        #expect(request.op == 1 && request.destinationPort == 1024 && request.sourcePort >= 1 << 30)
        fixture.transmit(vsockPacket(op: 2, sourcePort: 1024, destinationPort: request.sourcePort, bufferAllocation: 0))
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = read(pair[1], &buffer, 64)
        #expect(String(decoding: buffer.prefix(max(got, 0)), as: UTF8.self) == "OK \(request.sourcePort)\n")
        let connection = try #require(fixture.device.connections.values.first)
        #expect(connection.peerCredit == 0 && !connection.wantsHostInput)  // guest advertised buf_alloc 0
        fixture.transmit(vsockPacket(op: 6, sourcePort: 1024, destinationPort: request.sourcePort, bufferAllocation: 4))
        #expect(connection.peerCredit == 4 && connection.wantsHostInput)
        _ = Array("abcdefgh".utf8).withUnsafeBytes { write(pair[1], $0.baseAddress, $0.count) }
        let data = fixture.receive(readable: [connection.key])
        #expect(data.map(\.1) == [Array("abcd".utf8)])  // only as much as the guest's credit
        #expect(connection.peerCredit == 0)
    }

    @Test("host input spanning several RX buffers is read at once, one RW packet each; unused buffers stay offered")
    func batchedReceive() throws {
        let fixture = try Fixture()
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        UnixSocket.setNonBlocking(pair[0])
        fixture.device.connectToGuest(port: 1025, fd: pair[0])
        let request = try #require(fixture.receive().first?.0)
        fixture.transmit(vsockPacket(op: 2, sourcePort: 1025, destinationPort: request.sourcePort))
        var line = [UInt8](repeating: 0, count: 64)
        #expect(read(pair[1], &line, 64) > 0)  // the OK line
        let connection = try #require(fixture.device.connections.values.first)
        let blob = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(blob.withUnsafeBytes { write(pair[1], $0.baseAddress, $0.count) } == blob.count)
        let usedBefore = fixture.driver.usedIndex
        let packets = fixture.receive(buffers: 4, readable: [connection.key])
        #expect(packets.map(\.1.count) == [4096, 4096, 1808])
        #expect(packets.allSatisfy { $0.0.op == 5 && Int($0.0.length) == $0.1.count })
        #expect(packets.flatMap(\.1) == blob)
        #expect(fixture.driver.usedIndex &- usedBefore == 3)  // the fourth buffer went back unused
        #expect(connection.sentToGuest == 10_000)
        // The buffer that went back is the next one used.
        #expect(Array("tail".utf8).withUnsafeBytes { write(pair[1], $0.baseAddress, $0.count) } == 4)
        let tail = fixture.receive(buffers: 1, readable: [connection.key])
        #expect(tail.map(\.1) == [Array("tail".utf8)])
    }

    @Test("consumed TX chains go back in batches of an eighth of the ring, one interrupt per batch")
    func transmitCompletionsBatched() throws {
        let fixture = try Fixture()
        let call = avps_eventfd()
        defer { close(call) }
        fixture.tx.callFD = call
        let usedIndex = { avps_load_acquire_u16(fixture.driver.ram + 0x6000 + 2) }
        #expect(VsockDevice.transmitBatch(ringSize: fixture.driver.size) == 2)
        fixture.transmit(vsockPacket(op: 3, sourcePort: 779, destinationPort: 6001))
        #expect(usedIndex() == 0 && avps_eventfd_drain(call) == 0)  // consumed, held back
        fixture.transmit(vsockPacket(op: 3, sourcePort: 779, destinationPort: 6001))
        #expect(usedIndex() == 2 && avps_eventfd_drain(call) == 1)
        fixture.transmit(vsockPacket(op: 3, sourcePort: 779, destinationPort: 6001))
        #expect(usedIndex() == 2)
        fixture.device.releaseTransmitted(&fixture.tx)  // what the event loop does once its hold time is up
        #expect(usedIndex() == 3 && avps_eventfd_drain(call) == 1)
    }

    @Test("CONNECT lines are parsed strictly")
    func connectLines() {
        #expect(HybridEndpoints.parseConnect(Array("CONNECT 1024".utf8)) == 1024)
        #expect(HybridEndpoints.parseConnect(Array("CONNECT 52\r".utf8)) == 52)
        #expect(HybridEndpoints.parseConnect(Array("CONNECT".utf8)) == nil)
        #expect(HybridEndpoints.parseConnect(Array("connect 5".utf8)) == nil)
        #expect(HybridEndpoints.parseConnect(Array("CONNECT 99999999999".utf8)) == nil)
    }
}
