import CVhostShim
#if canImport(Glibc)
import Glibc
#endif

/// A buffer the driver made available: the head index, then its device-readable and
/// device-writable parts as host buffers, in chain order.
struct DescriptorChain {
    var head: UInt16 = 0
    var readable: [UnsafeMutableRawBufferPointer] = []
    var writable: [UnsafeMutableRawBufferPointer] = []

    /// Empties the chain but keeps its storage, so a reused chain costs no allocation.
    mutating func clear(head: UInt16) {
        self.head = head
        readable.removeAll(keepingCapacity: true)
        writable.removeAll(keepingCapacity: true)
    }

    var writableCapacity: Int { writable.reduce(0) { $0 + $1.count } }
    var readableLength: Int { readable.reduce(0) { $0 + $1.count } }
}

/// One split virtqueue (virtio 1.x §2.7), device side.
///
/// Ring indexes shared with the guest are read and written as single 16-bit atomics with
/// acquire/release ordering (a byte-wise store lets the guest see a torn index); the EVENT_IDX
/// checks put a full fence between a store and the load that depends on it.
struct Virtqueue {
    static let maxSize = 32768

    var size = 0
    var addresses: VringAddresses?
    var lastAvail: UInt16 = 0
    var usedIndex: UInt16 = 0
    /// used.idx at the last interrupt decision (EVENT_IDX compares against it).
    var signalledUsed: UInt16 = 0
    var enabled = false
    var started = false
    var eventIndex = false
    var kickFD: Int32 = -1
    var callFD: Int32 = -1
    /// Interrupts sent to the driver (statistics).
    private(set) var interrupts = 0

    private var descriptors: UnsafeMutableRawPointer?
    private var available: UnsafeMutableRawPointer?
    private var used: UnsafeMutableRawPointer?

    var isReady: Bool { started && enabled && descriptors != nil }

    /// Translates the ring addresses through the current memory table.
    mutating func resolve(_ memory: GuestMemory?) throws(VhostUserError) {
        descriptors = nil; available = nil; used = nil
        guard let addresses, let memory, size > 0 else { return }
        guard let d = memory.pointer(userAddress: addresses.descriptors, length: 16 * size),
              let a = memory.pointer(userAddress: addresses.available, length: 6 + 2 * size),
              let u = memory.pointer(userAddress: addresses.used, length: 6 + 8 * size),
              Int(bitPattern: d) % 16 == 0, Int(bitPattern: a) % 2 == 0, Int(bitPattern: u) % 4 == 0 else {
            throw .guestMemory("ring \(addresses.index) addresses are outside guest memory or misaligned")
        }
        descriptors = d; available = a; used = u
    }

    /// Starts processing: the used index continues from what the guest memory holds.
    mutating func start() {
        started = true
        if let used { usedIndex = avps_load_acquire_u16(used + 2) }
        signalledUsed = usedIndex
    }

    /// Stops the ring and returns the next available index (GET_VRING_BASE). Staged used
    /// entries are published first: the driver gets back every chain the device consumed.
    mutating func stop() -> UInt16 {
        publish()
        started = false
        if kickFD >= 0 { close(kickFD); kickFD = -1 }
        return lastAvail
    }

    private var availableIndex: UInt16 {
        guard let available else { return lastAvail }
        return avps_load_acquire_u16(available + 2)
    }

    var hasAvailable: Bool { isReady && availableIndex != lastAvail }

    /// Takes the next available chain, or nil when the driver has none. A malformed chain is
    /// returned to the driver as used with length 0, and reported as an error.
    mutating func pop(_ memory: GuestMemory) throws(VhostUserError) -> DescriptorChain? {
        var chain = DescriptorChain()
        return try pop(memory, into: &chain) ? chain : nil
    }

    /// `pop` into a chain the caller reuses (the data path: no allocation per packet once its
    /// arrays have grown). Returns false when the driver has nothing available.
    mutating func pop(_ memory: GuestMemory, into chain: inout DescriptorChain) throws(VhostUserError) -> Bool {
        guard isReady, let available, let descriptors else { return false }
        let availIndex = availableIndex
        guard availIndex != lastAvail else { return false }
        guard Int(availIndex &- lastAvail) <= size else {
            throw .guestMemory("avail.idx \(availIndex) is more than \(size) ahead of \(lastAvail)")
        }
        let slot = Int(lastAvail) % size
        let head = UInt16(littleEndian: available.load(fromByteOffset: 4 + 2 * slot, as: UInt16.self))
        lastAvail &+= 1
        do {
            try walk(head: head, memory: memory, table: descriptors, into: &chain)
            return true
        } catch {
            if Int(head) < size { push(head: head, length: 0) }
            throw error
        }
    }

    /// Puts the last `count` popped chains back (they were not needed after all).
    mutating func unpop(_ count: Int = 1) { lastAvail &-= UInt16(truncatingIfNeeded: count) }

    private func walk(head: UInt16, memory: GuestMemory, table: UnsafeMutableRawPointer,
                      into chain: inout DescriptorChain) throws(VhostUserError) {
        chain.clear(head: head)
        var index = Int(head)
        var count = 0
        while true {
            guard index < size else { throw .guestMemory("descriptor index \(index) outside a ring of \(size)") }
            count += 1
            guard count <= size else { throw .guestMemory("descriptor chain from \(head) loops or exceeds the ring size") }
            let entry = table + 16 * index
            let address = UInt64(littleEndian: entry.loadUnaligned(as: UInt64.self))
            let length = UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let flags = UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
            let next = UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
            guard flags & 4 == 0 else { throw .guestMemory("indirect descriptor, but INDIRECT_DESC was not offered") }
            if flags & 2 != 0 {
                try memory.appendBuffers(guestPhysical: address, length: length, to: &chain.writable)
            } else {
                try memory.appendBuffers(guestPhysical: address, length: length, to: &chain.readable)
            }
            guard flags & 1 != 0 else { return }
            index = Int(next)
        }
    }

    /// Returns a chain to the driver at once (`stage` then `publish`).
    mutating func push(head: UInt16, length: UInt32) {
        stage(head: head, length: length)
        publish()
    }

    /// Used entries written with `stage` that the driver cannot see yet.
    private(set) var staged = 0

    /// Writes a used entry without publishing it: the driver sees it, and every entry staged
    /// before it, at the next `publish` (a device may return buffers as late as it likes).
    mutating func stage(head: UInt16, length: UInt32) {
        guard let used, size > 0 else { return }
        let slot = Int(usedIndex) % size
        used.storeBytes(of: UInt32(head).littleEndian, toByteOffset: 4 + 8 * slot, as: UInt32.self)
        used.storeBytes(of: length.littleEndian, toByteOffset: 8 + 8 * slot, as: UInt32.self)
        usedIndex &+= 1
        staged += 1
    }

    /// Makes the staged entries visible with one release store of used.idx.
    mutating func publish() {
        guard staged > 0 else { return }
        staged = 0
        guard let used else { return }
        avps_store_release_u16(used + 2, usedIndex)
    }

    /// Interrupts the driver if it asked for it since the last decision.
    mutating func notify() {
        guard let available, callFD >= 0, usedIndex != signalledUsed else { return }
        let old = signalledUsed
        let new = usedIndex
        signalledUsed = new
        let wanted: Bool
        if eventIndex {
            avps_fence_seq_cst()  // used.idx store before the used_event load
            let usedEvent = avps_load_acquire_u16(available + 4 + 2 * size)
            wanted = (new &- usedEvent &- 1) < (new &- old)
        } else {
            wanted = avps_load_acquire_u16(available) & 1 == 0  // VRING_AVAIL_F_NO_INTERRUPT
        }
        if wanted {
            interrupts += 1
            _ = avps_eventfd_signal(callFD)
        }
    }

    /// Asks the driver to kick when it adds buffers; returns true when buffers arrived meanwhile
    /// (the caller must then look again instead of sleeping).
    mutating func armKick() -> Bool {
        guard isReady else { return false }
        if eventIndex, let used {
            avps_store_release_u16(used + 4 + 8 * size, lastAvail)
            avps_fence_seq_cst()  // avail_event store before the avail.idx re-read
        }
        return availableIndex != lastAvail
    }

    /// Forgets everything ring-specific (driver reset); descriptors stay open. Staged entries
    /// are dropped, not published: the driver that owned them is gone.
    mutating func reset() {
        staged = 0
        _ = stop()
        size = 0; addresses = nil; lastAvail = 0; usedIndex = 0; signalledUsed = 0; enabled = false
        descriptors = nil; available = nil; used = nil
    }
}
