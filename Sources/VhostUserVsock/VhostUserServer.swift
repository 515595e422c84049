#if canImport(Glibc)
import Glibc
#endif

/// The vhost-user device side for vsock: feature negotiation, memory table, ring setup and the
/// config space (`guest_cid`). One message in, at most one reply out; a message that does not fit
/// its request's layout is refused (logged, failure reply when one is expected) and never crashes.
final class VhostUserServer {
    /// VERSION_1 (mandatory for QEMU), PROTOCOL_FEATURES (to reach CONFIG), RING_EVENT_IDX.
    /// Nothing else: QEMU would otherwise assume packed rings, indirect descriptors, ...
    static let offeredFeatures: UInt64 = 1 << 32 | 1 << 30 | 1 << 29
    /// MQ (answers GET_QUEUE_NUM), REPLY_ACK, CONFIG (mandatory for vhost-user-vsock).
    static let offeredProtocolFeatures: UInt64 = 1 << 0 | 1 << 3 | 1 << 9
    static let protocolFeaturesBit: UInt64 = 1 << 30
    static let queueCount = 2  // rx = 0, tx = 1; the event queue stays in QEMU

    private(set) var features: UInt64 = 0
    private(set) var protocolFeatures: UInt64 = 0
    private(set) var memory: GuestMemory?
    var queues = [Virtqueue](repeating: Virtqueue(), count: queueCount)
    let device: VsockDevice
    let log: BackendLog

    init(device: VsockDevice, log: BackendLog) {
        self.device = device
        self.log = log
    }

    deinit {
        for queue in queues {
            if queue.kickFD >= 0 { close(queue.kickFD) }
            if queue.callFD >= 0 { close(queue.callFD) }
        }
    }

    private var replyAck: Bool { protocolFeatures & (1 << 3) != 0 }

    /// Handles one message and takes ownership of `fds` (unused ones are closed).
    /// Returns the reply bytes to send, if any.
    func handle(_ message: VhostUserMessage, fds: [Int32]) -> [UInt8]? {
        var fds = fds
        defer { for fd in fds { close(fd) } }
        do {
            if let payload = try dispatch(message, fds: &fds) { return message.reply(payload) }
            return message.needsReply && replyAck ? message.reply(u64(0)) : nil
        } catch {
            log.note("request \(message.request): \(error)")
            if VhostUserRequest(rawValue: message.request).map(Self.alwaysReplies) == true {
                return message.reply([])  // an empty reply: the frontend reports it, nothing hangs
            }
            return message.needsReply && replyAck ? message.reply(u64(1)) : nil
        }
    }

    private static func alwaysReplies(_ request: VhostUserRequest) -> Bool {
        [.getFeatures, .getProtocolFeatures, .getQueueNum, .getVringBase, .getConfig].contains(request)
    }

    private func dispatch(_ message: VhostUserMessage, fds: inout [Int32]) throws(VhostUserError) -> [UInt8]? {
        guard let request = VhostUserRequest(rawValue: message.request) else {
            throw .malformed("unknown request \(message.request)")
        }
        switch request {
        case .getFeatures: return u64(Self.offeredFeatures)
        case .getProtocolFeatures: return u64(Self.offeredProtocolFeatures)
        case .getQueueNum: return u64(UInt64(Self.queueCount))
        case .setFeatures:
            let value = try message.u64()
            guard value & ~Self.offeredFeatures == 0 else { throw .malformed("features 0x\(String(value, radix: 16)) were not offered") }
            features = value
            for index in queues.indices { queues[index].eventIndex = value & (1 << 29) != 0 }
        case .setProtocolFeatures:
            protocolFeatures = try message.u64() & Self.offeredProtocolFeatures
        case .setOwner:
            break
        case .resetOwner, .resetDevice:
            resetRings()
        case .setMemTable:
            let table = try MemoryRegionDescription.table(message.payload)
            let passed = fds
            fds = []
            let mapped = try GuestMemory.map(table, fds: passed)
            memory = mapped  // the old mapping goes only after the rings point into the new one
            for index in queues.indices {
                do { try queues[index].resolve(mapped) } catch { log.note("\(error)") }
            }
        case .setVringNum:
            let (index, num) = try ringState(message)
            guard num > 0, num <= Virtqueue.maxSize, num & (num - 1) == 0 else { throw .malformed("ring size \(num)") }
            queues[index].size = Int(num)
        case .setVringAddr:
            let addresses = try VringAddresses(message.payload)
            guard queues.indices.contains(addresses.index) else { throw .malformed("ring \(addresses.index)") }
            queues[addresses.index].addresses = addresses
            try queues[addresses.index].resolve(memory)
        case .setVringBase:
            let (index, num) = try ringState(message)
            queues[index].lastAvail = UInt16(truncatingIfNeeded: num)
        case .getVringBase:
            let (index, _) = try ringState(message)
            let base = queues[index].stop()
            device.reset()  // the driver is going away: its connections with it
            var reply: [UInt8] = []
            reply.appendLE32(UInt32(index))
            reply.appendLE32(UInt32(base))
            return reply
        case .setVringKick, .setVringCall, .setVringErr:
            try setRingFD(request, message: message, fds: &fds)
        case .setVringEnable:
            let (index, num) = try ringState(message)
            queues[index].enabled = num != 0
        case .getConfig:
            return try config(message.payload)
        case .setConfig:
            throw .malformed("the config space (guest_cid) is read-only")
        case .setLogBase, .setLogFD:
            throw .malformed("dirty logging was not offered")
        }
        return nil
    }

    private func ringState(_ message: VhostUserMessage) throws(VhostUserError) -> (Int, UInt32) {
        let (index, num) = try message.vringState()
        guard queues.indices.contains(index) else { throw .malformed("ring \(index) (this device has \(queues.count))") }
        return (index, num)
    }

    private func setRingFD(_ request: VhostUserRequest, message: VhostUserMessage, fds: inout [Int32]) throws(VhostUserError) {
        let value = try message.u64()
        let index = Int(value & 0xff)
        guard queues.indices.contains(index) else { throw .malformed("ring \(index) (this device has \(queues.count))") }
        let noFD = value & 0x100 != 0
        guard noFD || !fds.isEmpty else { throw .malformed("\(request) without a file descriptor") }
        let fd = noFD ? -1 : fds.removeFirst()
        switch request {
        case .setVringKick:
            guard fd >= 0 else { throw .malformed("polling mode (no kick fd) is not supported") }
            if queues[index].kickFD >= 0 { close(queues[index].kickFD) }
            queues[index].kickFD = fd
            // Without PROTOCOL_FEATURES a ring is enabled as soon as it starts.
            if features & Self.protocolFeaturesBit == 0 { queues[index].enabled = true }
            queues[index].start()
        case .setVringCall:
            if queues[index].callFD >= 0 { close(queues[index].callFD) }
            queues[index].callFD = fd
        default:
            if fd >= 0 { close(fd) }  // error notifications are not used
        }
    }

    private func config(_ payload: [UInt8]) throws(VhostUserError) -> [UInt8] {
        guard payload.count >= 12 else { throw .malformed("config request of \(payload.count) bytes") }
        let offset = Int(payload.le32(at: 0))
        let size = Int(payload.le32(at: 4))
        guard size <= 256, offset <= 256 else { throw .malformed("config range \(offset)+\(size)") }
        var space: [UInt8] = []
        space.appendLE64(device.guestCID)  // struct virtio_vsock_config { le64 guest_cid; }
        var reply = Array(payload.prefix(12))
        reply += (offset..<offset + size).map { $0 < space.count ? space[$0] : 0 }
        return reply
    }

    private func resetRings() {
        for index in queues.indices { queues[index].reset() }
        device.reset()
    }

    private func u64(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLE64(value)
        return bytes
    }
}
