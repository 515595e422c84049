import CVhostShim
import Foundation
import Testing
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

/// A seeded random frontend: wrong sizes, unknown requests, bad region offsets, rings in garbage
/// memory (so descriptor chains loop or point anywhere). Nothing may crash or leak descriptors.
@Suite("Malformed vhost-user messages")
struct MalformedMessageTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Open descriptors of this test's guest RAM files (other tests run in parallel, so only these count).
    static func openRAMFiles() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { entry in
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? "").contains("avps-fuzz")
        }.count
    }

    /// A 16 KiB file full of random bytes: guest RAM whose rings and descriptors are garbage.
    static func garbageRAM(_ random: inout SeededGenerator) -> Int32 {
        var template = Array("/dev/shm/avps-fuzz-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let fd = mkstemp(base)
            unlink(base)
            return fd
        }
        let bytes = (0..<16384).map { _ in UInt8.random(in: 0...255, using: &random) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return fd
    }

    static func message(_ random: inout SeededGenerator) -> (VhostUserMessage, [Int32]) {
        let requests: [UInt32] = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24, 25, 34, 99, 0, 4000]
        let request = requests.randomElement(using: &random) ?? 0
        let flags: UInt32 = Bool.random(using: &random) ? 1 : 1 | VhostUserMessage.needReplyFlag
        var payload: [UInt8] = []
        var fds: [Int32] = []
        switch (request, Int.random(in: 0..<4, using: &random)) {
        case (5, 0...2):  // memory table: 1-3 regions with random (often bad) geometry
            let count = Int.random(in: 1...3, using: &random)
            payload.appendLE32(UInt32(count)); payload.appendLE32(0)
            for index in 0..<count {
                payload.appendLE64(UInt64(index) << 16)
                payload.appendLE64([0, 4096, 65536, 1 << 40, UInt64.max].randomElement(using: &random) ?? 0)
                payload.appendLE64(0x7f00_0000_0000 + (UInt64(index) << 16))
                payload.appendLE64([0, 100, 4096, 1 << 30, UInt64.max - 10].randomElement(using: &random) ?? 0)
                fds.append(garbageRAM(&random))
            }
            if Bool.random(using: &random) { fds.append(garbageRAM(&random)) }  // one fd too many
        case (9, 0...2):  // ring addresses inside or outside the 64 KiB region
            payload.appendLE32(UInt32.random(in: 0...2, using: &random)); payload.appendLE32(0)
            for _ in 0..<3 { payload.appendLE64(0x7f00_0000_0000 + UInt64.random(in: 0...0x4800, using: &random) & ~0xf) }
            payload.appendLE64(0)
        case (8, 0...2), (10, _), (18, _), (11, _):
            payload.appendLE32(UInt32.random(in: 0...2, using: &random))
            payload.appendLE32([0, 1, 3, 8, 16, 256, 32768, 65536].randomElement(using: &random) ?? 0)
        case (12, 0...2), (13, _), (14, _):
            payload.appendLE64(UInt64.random(in: 0...2, using: &random) | (Bool.random(using: &random) ? 0x100 : 0))
            if Bool.random(using: &random) { fds.append(avps_eventfd()) }
        default:  // wrong sizes and random bytes
            payload = (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        return (VhostUserMessage(request: request, flags: flags, payload: payload), fds)
    }

    @Test("3 seeds x 3,000 random messages: no crash, no leaked descriptors, replies when asked")
    func randomFrontend() throws {
        let before = Self.openRAMFiles()
        for seed: UInt64 in 1...3 {
            var random = SeededGenerator(state: seed)
            let log = BackendLog(verbose: false)
            let device = VsockDevice(guestCID: 3, hybrid: HybridEndpoints(path: "/nonexistent/v.sock"), log: log)
            let server = VhostUserServer(device: device, log: log)
            for _ in 0..<3_000 {
                let (message, fds) = Self.message(&random)
                let reply = server.handle(message, fds: fds)
                if [1, 15, 17, 11, 24].contains(message.request) { #expect(reply != nil, "request \(message.request) got no reply") }
                if let memory = server.memory {
                    if server.queues[1].isReady { device.processTransmit(&server.queues[1], memory: memory) }
                    var readable: [ConnectionKey] = []
                    if server.queues[0].isReady { _ = device.fillReceive(&server.queues[0], memory: memory, readable: &readable) }
                }
            }
        }
        #expect(Self.openRAMFiles() == before)
    }

    @Test("headers with impossible sizes or versions are refused")
    func headers() {
        var random = SeededGenerator(state: 42)
        var refused = 0
        for _ in 0..<10_000 {
            let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &random) }
            do { _ = try VhostUserMessage.parseHeader(bytes) } catch { refused += 1 }
        }
        #expect(refused > 9_000)
        #expect(throws: VhostUserError.self) { try VhostUserMessage.parseHeader([1, 0, 0, 0]) }
        #expect((try? VhostUserMessage.parseHeader(VhostUserMessage(request: 1).encoded)) != nil)
    }

    @Test("GET_CONFIG answers the guest CID at offset 0, with the request's size")
    func config() throws {
        let log = BackendLog(verbose: false)
        let server = VhostUserServer(device: VsockDevice(guestCID: 0x1234, hybrid: HybridEndpoints(path: "/x"), log: log), log: log)
        var payload: [UInt8] = []
        payload.appendLE32(0); payload.appendLE32(8); payload.appendLE32(0)
        payload += [UInt8](repeating: 0, count: 8)
        let reply = try #require(server.handle(VhostUserMessage(request: 24, payload: payload), fds: []))
        #expect(reply.count == 12 + 20)
        #expect(Array(reply[24..<32]) == [0x34, 0x12, 0, 0, 0, 0, 0, 0])
        let features = try #require(server.handle(VhostUserMessage(request: 1), fds: []))
        let bits = Array(features[12...]).le64(at: 0)
        #expect(bits & (1 << 32) != 0 && bits & (1 << 30) != 0)  // VERSION_1 and PROTOCOL_FEATURES
        #expect(bits & (1 << 28) == 0 && bits & (1 << 34) == 0)  // never indirect or packed
    }
}
