import Foundation
import Synchronization
import Testing
@testable import VhostUserVsock
#if canImport(Glibc)
import Glibc
#endif

/// One backend process serving two VMs, at the socket layer: each VM's vhost-user socket answers
/// with its own CID, a VM whose frontend hangs up is served again, and the backend ends once
/// every VM's frontend came and went, removing every socket.
@Suite("vsock backend serving several VMs")
struct MultiVMBackendTests {
    /// Asks a frontend connection for the config space (GET_CONFIG, offset 0, 8 bytes): the CID.
    static func guestCID(over fd: Int32) throws -> UInt64 {
        var message: [UInt8] = []
        message.appendLE32(24); message.appendLE32(1); message.appendLE32(20)
        message.appendLE32(0); message.appendLE32(8); message.appendLE32(0)
        message += [UInt8](repeating: 0, count: 8)
        #expect(message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == message.count)
        var reply = [UInt8](repeating: 0, count: 32)
        var got = 0
        while got < 32 {
            let count = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress.map { $0 + got }, 32 - got, 0) }
            try #require(count > 0, "the backend closed the frontend connection")
            got += count
        }
        return reply.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) }
    }

    static func connect(_ path: String) throws -> Int32 {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        let fd = try #require(UnixSocket.connect(path: path))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    @Test("two VMs: own CIDs, a restarted frontend is served again, exit after both hung up, sockets removed")
    func lifecycle() async throws {
        let directory = NSTemporaryDirectory() + "vsock-multi-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vms = [VsockVM(socketPath: directory + "/a.vu", udsPath: directory + "/a.uds", guestCID: 3),
                   VsockVM(socketPath: directory + "/b.vu", udsPath: directory + "/b.uds", guestCID: 4)]
        let backend = try VsockBackend(VsockBackendConfiguration(vms: vms))
        let running = Task { try await backend.serve() }
        defer { backend.stop() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !vms.allSatisfy({ FileManager.default.fileExists(atPath: $0.socketPath) && FileManager.default.fileExists(atPath: $0.udsPath) }) {
            try #require(ContinuousClock.now < deadline, "sockets never appeared")
            try await Task.sleep(for: .milliseconds(20))
        }
        let a = try Self.connect(vms[0].socketPath)
        #expect(try Self.guestCID(over: a) == 3)
        let b = try Self.connect(vms[1].socketPath)
        #expect(try Self.guestCID(over: b) == 4)
        close(a)  // VM A's QEMU exits; B keeps running, A's socket takes the next QEMU
        let again = try Self.connect(vms[0].socketPath)
        #expect(try Self.guestCID(over: again) == 3)
        close(again)
        try await Task.sleep(for: .milliseconds(100))
        #expect(FileManager.default.fileExists(atPath: vms[1].socketPath))
        close(b)
        let forced = Mutex(false)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            forced.withLock { $0 = true }
            backend.stop()
        }
        try await running.value
        watchdog.cancel()
        #expect(!forced.withLock { $0 }, "the backend did not end once every frontend had gone")
        #expect(backend.recentDiagnostics.filter { $0.contains("statistics CID") }.count == 3)
        for vm in vms {
            #expect(!FileManager.default.fileExists(atPath: vm.socketPath) && !FileManager.default.fileExists(atPath: vm.udsPath))
        }
    }
}
