import CVhostShim
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

/// Plays the guest driver on hand-built ring memory: one region of guest RAM with the descriptor
/// table, avail and used rings at fixed guest-physical addresses, and buffers above them.
final class RingDriver {
    static let ramSize = 1 << 20
    static let userBase: UInt64 = 0x7f00_0000_0000
    static let descriptorsAt = 0x0, availableAt = 0x1000, usedAt = 0x2000

    let ram: UnsafeMutableRawPointer
    let memory: GuestMemory
    let size: Int
    private var nextDescriptor = 0
    private var availIndex: UInt16 = 0
    private var nextBuffer = 0x10000

    init(size: Int = 8) {
        self.size = size
        ram = UnsafeMutableRawPointer.allocate(byteCount: Self.ramSize, alignment: 4096)
        ram.initializeMemory(as: UInt8.self, repeating: 0, count: Self.ramSize)
        memory = GuestMemory(regions: [.init(guestPhysical: 0, size: UInt64(Self.ramSize), userAddress: Self.userBase, base: ram)])
    }

    deinit { ram.deallocate() }

    /// A ready queue over this memory (as after SET_VRING_NUM/ADDR/KICK/ENABLE).
    func queue(eventIndex: Bool = false) throws -> Virtqueue {
        var queue = Virtqueue()
        queue.size = size
        var payload = [UInt8](repeating: 0, count: 40)
        payload.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: (Self.userBase + UInt64(Self.descriptorsAt)).littleEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: (Self.userBase + UInt64(Self.usedAt)).littleEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: (Self.userBase + UInt64(Self.availableAt)).littleEndian, toByteOffset: 24, as: UInt64.self)
        }
        queue.addresses = try VringAddresses(payload)
        try queue.resolve(memory)
        queue.eventIndex = eventIndex
        queue.enabled = true
        queue.start()
        return queue
    }

    /// Allocates a buffer in guest RAM filled with `bytes` (or `capacity` zeroes); returns its address.
    func buffer(_ bytes: [UInt8] = [], capacity: Int = 0) -> UInt64 {
        let address = nextBuffer
        let length = max(bytes.count, capacity)
        (ram + address).copyMemory(from: bytes, byteCount: bytes.count)
        nextBuffer += (length + 15) & ~15
        return UInt64(address)
    }

    /// Writes one descriptor at `index` (raw, so tests can build loops and wild addresses).
    func descriptor(_ index: Int, address: UInt64, length: UInt32, flags: UInt16, next: UInt16) {
        let entry = ram + Self.descriptorsAt + 16 * index
        entry.storeBytes(of: address.littleEndian, as: UInt64.self)
        entry.storeBytes(of: length.littleEndian, toByteOffset: 8, as: UInt32.self)
        entry.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
        entry.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    /// Makes a chain of (address, length, device-writable) parts available; returns its head.
    @discardableResult
    func offer(_ parts: [(UInt64, Int, Bool)]) -> UInt16 {
        let head = nextDescriptor
        for (offset, part) in parts.enumerated() {
            let index = (head + offset) % size
            let last = offset == parts.count - 1
            descriptor(index, address: part.0, length: UInt32(part.1), flags: (last ? 0 : 1) | (part.2 ? 2 : 0),
                       next: UInt16((index + 1) % size))
        }
        nextDescriptor = (head + parts.count) % size
        publish(head: UInt16(head))
        return UInt16(head)
    }

    /// Puts `head` into the avail ring and bumps avail.idx.
    func publish(head: UInt16) {
        (ram + Self.availableAt + 4 + 2 * (Int(availIndex) % size)).storeBytes(of: head.littleEndian, as: UInt16.self)
        availIndex &+= 1
        avps_store_release_u16(ram + Self.availableAt + 2, availIndex)
    }

    var usedIndex: UInt16 { avps_load_acquire_u16(ram + Self.usedAt + 2) }

    func used(_ slot: Int) -> (id: UInt32, length: UInt32) {
        let entry = ram + Self.usedAt + 4 + 8 * (slot % size)
        return (UInt32(littleEndian: entry.load(as: UInt32.self)), UInt32(littleEndian: entry.load(fromByteOffset: 4, as: UInt32.self)))
    }

    /// The driver's used_event (EVENT_IDX): interrupt me once used.idx passes this.
    func setUsedEvent(_ value: UInt16) {
        (ram + Self.availableAt + 4 + 2 * size).storeBytes(of: value.littleEndian, as: UInt16.self)
    }

    func bytes(at address: UInt64, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: ram + Int(address), count: count))
    }
}

/// A vsock packet as the guest builds it.
func vsockPacket(op: UInt16, sourcePort: UInt32, destinationPort: UInt32, payload: [UInt8] = [], flags: UInt32 = 0,
                 bufferAllocation: UInt32 = 256 << 10, forwardCount: UInt32 = 0, cid: UInt64 = 3,
                 to destinationCID: UInt64 = 2) -> [UInt8] {
    var header = VsockHeader(sourceCID: cid, destinationCID: destinationCID, sourcePort: sourcePort, destinationPort: destinationPort,
                             op: VsockHeader.Op(rawValue: op) ?? .rw, flags: flags, length: UInt32(payload.count))
    header.op = op
    header.bufferAllocation = bufferAllocation
    header.forwardCount = forwardCount
    var bytes = [UInt8](repeating: 0, count: VsockHeader.size)
    bytes.withUnsafeMutableBytes { header.write(to: $0) }
    return bytes + payload
}
