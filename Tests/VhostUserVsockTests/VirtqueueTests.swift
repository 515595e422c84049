import CVhostShim
import Testing
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

@Suite("Split virtqueue against hand-built ring memory")
struct VirtqueueTests {
    @Test("a two-descriptor chain comes out as readable and writable parts; used is published")
    func popAndPush() throws {
        let driver = RingDriver()
        var queue = try driver.queue()
        let header = driver.buffer(Array(repeating: 7, count: 44))
        let data = driver.buffer(capacity: 4096)
        let head = driver.offer([(header, 44, false), (data, 4096, true)])
        let chain = try #require(try queue.pop(driver.memory))
        #expect(chain.head == head)
        #expect(chain.readableLength == 44)
        #expect(chain.writableCapacity == 4096)
        #expect(try queue.pop(driver.memory) == nil)
        queue.push(head: chain.head, length: 100)
        #expect(driver.usedIndex == 1)
        #expect(driver.used(0) == (UInt32(head), 100))
    }

    @Test("staged used entries stay hidden until published; stopping publishes them, a reset drops them")
    func stagedUntilPublished() throws {
        let driver = RingDriver()
        var queue = try driver.queue()
        let buffer = driver.buffer(capacity: 64)
        for _ in 0..<3 { driver.offer([(buffer, 64, true)]) }
        for length in 1...2 { queue.stage(head: try #require(try queue.pop(driver.memory)).head, length: UInt32(length)) }
        #expect(driver.usedIndex == 0 && queue.staged == 2)
        queue.publish()
        #expect(driver.usedIndex == 2 && driver.used(1).length == 2 && queue.staged == 0)
        queue.stage(head: try #require(try queue.pop(driver.memory)).head, length: 3)
        #expect(queue.stop() == 3)  // GET_VRING_BASE: the driver gets every consumed chain back
        #expect(driver.usedIndex == 3 && driver.used(2).length == 3)

        let other = RingDriver()
        var reset = try other.queue()
        other.offer([(other.buffer(capacity: 64), 64, true)])
        reset.stage(head: try #require(try reset.pop(other.memory)).head, length: 1)
        reset.reset()
        #expect(other.usedIndex == 0 && reset.staged == 0)
    }

    @Test("ring indexes wrap around 16 bits")
    func indexesWrap() throws {
        let driver = RingDriver(size: 4)
        var queue = try driver.queue()
        let buffer = driver.buffer(capacity: 64)
        for round in 0..<70_000 {
            driver.offer([(buffer, 64, true)])
            let chain = try #require(try queue.pop(driver.memory), "round \(round)")
            queue.push(head: chain.head, length: 1)
        }
        #expect(driver.usedIndex == UInt16(truncatingIfNeeded: 70_000))
    }

    @Test("a looping chain is rejected and handed back with length 0")
    func loopRejected() throws {
        let driver = RingDriver()
        var queue = try driver.queue()
        let buffer = driver.buffer(capacity: 16)
        driver.descriptor(0, address: buffer, length: 16, flags: 1, next: 1)
        driver.descriptor(1, address: buffer, length: 16, flags: 1, next: 0)
        driver.publish(head: 0)
        #expect(throws: VhostUserError.self) { try queue.pop(driver.memory) }
        #expect(driver.usedIndex == 1)
        #expect(driver.used(0) == (0, 0))
    }

    @Test("descriptors outside guest memory, indirect ones and heads beyond the ring are rejected")
    func wildDescriptors() throws {
        let driver = RingDriver()
        var queue = try driver.queue()
        driver.descriptor(0, address: UInt64(RingDriver.ramSize) - 8, length: 16, flags: 0, next: 0)
        driver.publish(head: 0)
        #expect(throws: VhostUserError.self) { try queue.pop(driver.memory) }
        driver.descriptor(1, address: 0x10000, length: 16, flags: 4, next: 0)
        driver.publish(head: 1)
        #expect(throws: VhostUserError.self) { try queue.pop(driver.memory) }
        driver.publish(head: 200)
        #expect(throws: VhostUserError.self) { try queue.pop(driver.memory) }
        driver.descriptor(2, address: UInt64.max - 4, length: 16, flags: 0, next: 0)
        driver.publish(head: 2)
        #expect(throws: VhostUserError.self) { try queue.pop(driver.memory) }
    }

    @Test("a buffer straddling two regions is split into two host buffers")
    func straddlingRegions() throws {
        let first = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        let second = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { first.deallocate(); second.deallocate() }
        let memory = GuestMemory(regions: [
            .init(guestPhysical: 0, size: 4096, userAddress: 0x1000_0000, base: first),
            .init(guestPhysical: 4096, size: 4096, userAddress: 0x2000_0000, base: second),
        ])
        let parts = try memory.buffers(guestPhysical: 4000, length: 200)
        #expect(parts.count == 2)
        #expect(parts[0].baseAddress == first + 4000 && parts[0].count == 96)
        #expect(parts[1].baseAddress == second && parts[1].count == 104)
        #expect(throws: VhostUserError.self) { try memory.buffers(guestPhysical: 8000, length: 500) }
    }

    @Test("EVENT_IDX: the driver is interrupted only when used.idx passes its used_event")
    func eventIndexSuppression() throws {
        let driver = RingDriver()
        var queue = try driver.queue(eventIndex: true)
        let call = avps_eventfd()
        defer { close(call) }
        queue.callFD = call
        let buffer = driver.buffer(capacity: 64)
        driver.setUsedEvent(0)
        driver.offer([(buffer, 64, true)])
        queue.push(head: try #require(try queue.pop(driver.memory)).head, length: 1)
        queue.notify()
        #expect(avps_eventfd_drain(call) == 1)
        driver.setUsedEvent(5)
        driver.offer([(buffer, 64, true)])
        queue.push(head: try #require(try queue.pop(driver.memory)).head, length: 1)
        queue.notify()
        #expect(avps_eventfd_drain(call) == 0)
        // Asking for kicks publishes avail_event = next index to look at.
        #expect(queue.armKick() == false)
        #expect(UInt16(littleEndian: (driver.ram + RingDriver.usedAt + 4 + 8 * driver.size).load(as: UInt16.self)) == 2)
    }
}
