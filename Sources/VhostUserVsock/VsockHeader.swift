/// `struct virtio_vsock_hdr` (44 bytes, little-endian, packed) and the operations it carries.
struct VsockHeader: Equatable {
    static let size = 44
    static let hostCID: UInt64 = 2
    static let typeStream: UInt16 = 1

    enum Op: UInt16 {
        case request = 1, response = 2, reset = 3, shutdown = 4, rw = 5, creditUpdate = 6, creditRequest = 7
    }

    /// SHUTDOWN flags: the sender will not receive (1) / will not send (2) any more.
    static let shutdownReceive: UInt32 = 1
    static let shutdownSend: UInt32 = 2

    var sourceCID: UInt64 = 0
    var destinationCID: UInt64 = 0
    var sourcePort: UInt32 = 0
    var destinationPort: UInt32 = 0
    var length: UInt32 = 0
    var type: UInt16 = typeStream
    var op: UInt16 = 0
    var flags: UInt32 = 0
    var bufferAllocation: UInt32 = 0
    var forwardCount: UInt32 = 0

    init(sourceCID: UInt64, destinationCID: UInt64, sourcePort: UInt32, destinationPort: UInt32, op: Op,
         flags: UInt32 = 0, length: UInt32 = 0) {
        self.sourceCID = sourceCID
        self.destinationCID = destinationCID
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.op = op.rawValue
        self.flags = flags
        self.length = length
    }

    init(bytes: UnsafeRawBufferPointer) {
        sourceCID = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        destinationCID = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        sourcePort = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        destinationPort = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        type = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 28, as: UInt16.self))
        op = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 30, as: UInt16.self))
        flags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        bufferAllocation = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
        forwardCount = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
    }

    func write(to bytes: UnsafeMutableRawBufferPointer) {
        bytes.storeBytes(of: sourceCID.littleEndian, toByteOffset: 0, as: UInt64.self)
        bytes.storeBytes(of: destinationCID.littleEndian, toByteOffset: 8, as: UInt64.self)
        bytes.storeBytes(of: sourcePort.littleEndian, toByteOffset: 16, as: UInt32.self)
        bytes.storeBytes(of: destinationPort.littleEndian, toByteOffset: 20, as: UInt32.self)
        bytes.storeBytes(of: length.littleEndian, toByteOffset: 24, as: UInt32.self)
        bytes.storeBytes(of: type.littleEndian, toByteOffset: 28, as: UInt16.self)
        bytes.storeBytes(of: op.littleEndian, toByteOffset: 30, as: UInt16.self)
        bytes.storeBytes(of: flags.littleEndian, toByteOffset: 32, as: UInt32.self)
        bytes.storeBytes(of: bufferAllocation.littleEndian, toByteOffset: 36, as: UInt32.self)
        bytes.storeBytes(of: forwardCount.littleEndian, toByteOffset: 40, as: UInt32.self)
    }

    var operation: Op? { Op(rawValue: op) }
}

/// Sequential access to a chain's parts, as if they were one buffer.
struct ChainCursor {
    let parts: [UnsafeMutableRawBufferPointer]
    private(set) var part = 0
    private(set) var offset = 0

    init(_ parts: [UnsafeMutableRawBufferPointer]) { self.parts = parts }

    /// Copies up to `count` bytes out of the chain into `destination`; returns how many.
    mutating func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < destination.count, part < parts.count {
            let source = parts[part]
            let n = min(destination.count - copied, source.count - offset)
            if n > 0, let to = destination.baseAddress, let from = source.baseAddress {
                (to + copied).copyMemory(from: from + offset, byteCount: n)
            }
            copied += n
            advance(n)
        }
        return copied
    }

    /// Copies `source` into the chain; returns how many bytes fitted.
    mutating func write(_ source: UnsafeRawBufferPointer) -> Int {
        var copied = 0
        while copied < source.count, part < parts.count {
            let target = parts[part]
            let n = min(source.count - copied, target.count - offset)
            if n > 0, let to = target.baseAddress, let from = source.baseAddress {
                (to + offset).copyMemory(from: from + copied, byteCount: n)
            }
            copied += n
            advance(n)
        }
        return copied
    }

    /// Appends the next `limit` bytes of the chain (or all that is left) as iovecs, for
    /// readv/writev straight from guest memory; returns how many bytes they cover.
    func appendIOVecs(limit: Int, to result: inout [iovec]) -> Int {
        var left = limit
        var index = part
        var start = offset
        while left > 0, index < parts.count {
            let buffer = parts[index]
            let n = min(left, buffer.count - start)
            if n > 0, let base = buffer.baseAddress { result.append(iovec(iov_base: base + start, iov_len: n)) }
            left -= n
            index += 1
            start = 0
        }
        return limit - left
    }

    mutating func advance(_ count: Int) {
        var left = count
        while left > 0, part < parts.count {
            let n = min(left, parts[part].count - offset)
            offset += n
            left -= n
            if offset == parts[part].count { part += 1; offset = 0 }
        }
        while part < parts.count, offset == parts[part].count { part += 1; offset = 0 }
    }
}

#if canImport(Glibc)
import Glibc
#endif
