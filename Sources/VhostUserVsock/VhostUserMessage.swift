/// vhost-user requests this backend knows (docs/interop/vhost-user.rst); values are the wire ids.
public enum VhostUserRequest: UInt32, Sendable {
    case getFeatures = 1, setFeatures = 2, setOwner = 3, resetOwner = 4, setMemTable = 5
    case setLogBase = 6, setLogFD = 7, setVringNum = 8, setVringAddr = 9, setVringBase = 10
    case getVringBase = 11, setVringKick = 12, setVringCall = 13, setVringErr = 14
    case getProtocolFeatures = 15, setProtocolFeatures = 16, getQueueNum = 17, setVringEnable = 18
    case getConfig = 24, setConfig = 25, resetDevice = 34
}

/// One message: the 12-byte header (request, flags, size) plus its payload, all little-endian.
public struct VhostUserMessage: Sendable, Equatable {
    public static let headerSize = 12
    /// No request of this backend is larger (a full memory table is 8 + 8 × 32 bytes; config ≤ 256).
    public static let maxPayload = 4096

    public static let versionFlag: UInt32 = 0x1
    public static let replyFlag: UInt32 = 0x4
    public static let needReplyFlag: UInt32 = 0x8

    public var request: UInt32
    public var flags: UInt32
    public var payload: [UInt8]

    public init(request: UInt32, flags: UInt32 = versionFlag, payload: [UInt8] = []) {
        self.request = request
        self.flags = flags
        self.payload = payload
    }

    public var needsReply: Bool { flags & Self.needReplyFlag != 0 }

    /// Parses a header; returns (request, flags, payload size) or throws for impossible sizes.
    public static func parseHeader(_ bytes: [UInt8]) throws(VhostUserError) -> (UInt32, UInt32, Int) {
        guard bytes.count == headerSize else { throw .malformed("header of \(bytes.count) bytes") }
        let size = Int(bytes.le32(at: 8))
        guard size <= maxPayload else { throw .malformed("payload of \(size) bytes exceeds \(maxPayload)") }
        guard bytes.le32(at: 4) & 0x3 == versionFlag else { throw .malformed("version \(bytes.le32(at: 4) & 0x3)") }
        return (bytes.le32(at: 0), bytes.le32(at: 4), size)
    }

    /// The reply to this message with `payload`, as wire bytes.
    public func reply(_ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLE32(request)
        bytes.appendLE32(Self.versionFlag | Self.replyFlag)
        bytes.appendLE32(UInt32(payload.count))
        return bytes + payload
    }

    /// Wire bytes of this message (tests act as the frontend with it).
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLE32(request)
        bytes.appendLE32(flags)
        bytes.appendLE32(UInt32(payload.count))
        return bytes + payload
    }

    /// The u64 payload of SET_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_KICK/CALL/ERR.
    func u64() throws(VhostUserError) -> UInt64 {
        guard payload.count >= 8 else { throw .malformed("request \(request) needs 8 payload bytes, got \(payload.count)") }
        return payload.le64(at: 0)
    }

    /// The vring state payload (index, num) of SET_VRING_NUM/BASE/ENABLE and GET_VRING_BASE.
    func vringState() throws(VhostUserError) -> (index: Int, num: UInt32) {
        guard payload.count >= 8 else { throw .malformed("vring state needs 8 bytes, got \(payload.count)") }
        return (Int(payload.le32(at: 0)), payload.le32(at: 4))
    }
}

/// The memory table of SET_MEM_TABLE: regions paired with the fds passed alongside.
struct MemoryRegionDescription: Sendable, Equatable {
    var guestPhysical: UInt64
    var size: UInt64
    var userAddress: UInt64
    var mmapOffset: UInt64

    static func table(_ payload: [UInt8]) throws(VhostUserError) -> [MemoryRegionDescription] {
        guard payload.count >= 8 else { throw .malformed("memory table of \(payload.count) bytes") }
        let count = Int(payload.le32(at: 0))
        guard (1...8).contains(count) else { throw .malformed("memory table with \(count) regions") }
        guard payload.count >= 8 + 32 * count else { throw .malformed("memory table shorter than \(count) regions") }
        return (0..<count).map { index in
            let base = 8 + 32 * index
            return MemoryRegionDescription(guestPhysical: payload.le64(at: base), size: payload.le64(at: base + 8),
                                           userAddress: payload.le64(at: base + 16), mmapOffset: payload.le64(at: base + 24))
        }
    }
}

/// SET_VRING_ADDR: ring part addresses as QEMU user virtual addresses.
struct VringAddresses: Sendable, Equatable {
    var index: Int
    var descriptors: UInt64
    var used: UInt64
    var available: UInt64

    init(_ payload: [UInt8]) throws(VhostUserError) {
        guard payload.count >= 40 else { throw .malformed("vring address of \(payload.count) bytes") }
        index = Int(payload.le32(at: 0))
        guard payload.le32(at: 4) & 1 == 0 else { throw .malformed("dirty logging requested but not offered") }
        descriptors = payload.le64(at: 8)
        used = payload.le64(at: 16)
        available = payload.le64(at: 24)
    }
}

extension Array where Element == UInt8 {
    func le16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func le32(at offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * $1) } }
    func le64(at offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * $1) } }
    mutating func appendLE16(_ value: UInt16) { append(contentsOf: (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }) }
    mutating func appendLE32(_ value: UInt32) { append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }) }
    mutating func appendLE64(_ value: UInt64) { append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }) }
}
