import AVPSModel
import AgentProtocol
import Foundation
import Hypervisors
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two real TCG guests on one vsock backend process (`avps vsockd --vm … --vm …`, CIDs 3 and 4):
/// the agent of one echoes through the other's bulk port, and through a host echo server, in the
/// same run, so guest-to-guest can be compared with guest-to-host.
///
/// The QEMU command lines are the adapter's own (`QEMUAdapter.prepare`, user vsock on a shared
/// memfd); only the backend and the two processes are started here, because one backend serves
/// both guests (the system launcher does the same for `links: vsock`).
@Suite("guest-to-guest vsock through one backend", .guestSlot, .serialized, .timeLimit(.minutes(6)))
struct SiblingVsockGuestTests {
    /// Two prepared launches, one backend and two QEMUs, all gone when `body` returns or throws.
    final class TwoGuests: @unchecked Sendable {
        let launches: [PreparedLaunch]
        let adapter = QEMUAdapter(cacheDirectory: nil)
        var processes: [Process] = []
        let backendLog: URL

        init(_ name: String) async throws {
            let guest = try await ReferenceGuestFixture.shared.guest()
            let boot = BootArtifacts(kernel: guest.kernel.path, initrd: guest.initrd.path, kernelCommandLine: guest.baseCommandLine)
            let directory = try Paths.temporaryDirectory(name)
            var launches: [PreparedLaunch] = []
            for vm in ["a", "b"] {
                let target = TargetSpec(name: "\(name)-\(vm)", accelerator: "tcg", devices: [.entropy], agentChannel: .vsock)
                let artifacts = directory.appendingPathComponent(vm)
                try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
                launches.append(try await adapter.prepare(target, boot: boot, artifactDirectory: artifacts))
            }
            self.launches = launches
            backendLog = directory.appendingPathComponent("vsockd.log")
        }

        /// Starts the backend(s) and both QEMUs; `tearDown` undoes it whatever happened.
        func boot(sharedBackend: Bool) async throws {
            guard case .userVsock(let executable) = launches[0].vsock else {
                throw HypervisorError.unsupported("this host gives the guests kernel vsock; the test needs our backend")
            }
            // One backend for both (CIDs 3 and 4), or one each (both CID 3, as single-VM targets have).
            let specs = launches.enumerated().map { index, launch in
                "cid=\(sharedBackend ? 3 + index : 3),socket=\(launch.vsockSocket),uds=\(launch.vsockUDS)"
            }
            let groups = sharedBackend ? [specs] : specs.map { [$0] }
            for group in groups {
                try start(executable, ["vsockd", "--verbose"] + group.flatMap { ["--vm", $0] }, log: backendLog)
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while !launches.allSatisfy({ FileManager.default.fileExists(atPath: $0.vsockSocket) }) {
                try #require(ContinuousClock.now < deadline, "the backend never listened")
                try await Task.sleep(for: .milliseconds(20))
            }
            for launch in launches {
                // -S would wait for QMP's `cont`; nothing attaches QMP here.
                let arguments = launch.commandLine.dropFirst().filter { $0 != "-S" }
                try start(launch.commandLine[0], arguments, log: launch.stderrLog)
            }
        }

        private func start(_ executable: String, _ arguments: [String], log: URL) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardError = handle
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }

        func agent(_ index: Int) async throws -> AgentClient {
            let client = AgentClient(stream: HybridVsockStream(path: launches[index].vsockUDS, port: 1024))
            _ = try await client.waitForReady(deadline: .now + .seconds(180))
            return client
        }

        /// QEMUs first (the backend then ends by itself), the backend after; workspaces removed.
        func tearDown() async {
            for process in processes.reversed() where process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let deadline = ContinuousClock.now + .seconds(10)
            while processes.contains(where: \.isRunning) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
            for launch in launches { adapter.discard(launch) }
        }
    }

    static func vsockDevice(_ client: AgentClient) async throws -> String {
        let devices = try await client.inventory(deadline: .now + .seconds(60))
        return try #require(devices.first { $0.deviceID == 19 }?.name)
    }

    static func text(_ value: FactValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    static func peerEcho(_ client: AgentClient, device: String, cid: Int, port: Int, bulk: Int = 4 << 20) async throws -> [String: FactValue] {
        let request = ProbeRequest(name: "vsock.peer_echo", device: device,
                                   params: ["cid": .int(Int64(cid)), "port": .int(Int64(port)),
                                            "count": .int(200), "size": .int(64), "bulk_bytes": .int(Int64(bulk))])
        let result = try await client.probe(request, deadline: .now + .seconds(60))
        #expect(result.status == .ok, "\(result.reason ?? "")")
        return result.facts
    }

    @Test("A echoes through B's agent (CID 4) and B through A's (CID 3); guest-to-host in the same run; unknown CID refused")
    func siblingsEcho() async throws {
        let guests = try await TwoGuests("it-g2g")
        let echo = try HostEchoServer(path: guests.launches[0].vsockUDS + "_7000")
        do {
            try await guests.boot(sharedBackend: true)
            let a = try await guests.agent(0), b = try await guests.agent(1)
            let deviceA = try await Self.vsockDevice(a), deviceB = try await Self.vsockDevice(b)
            let toB = try await Self.peerEcho(a, device: deviceA, cid: 4, port: 1025)
            let toA = try await Self.peerEcho(b, device: deviceB, cid: 3, port: 1025)
            let toHost = try await Self.peerEcho(a, device: deviceA, cid: 2, port: 7000)
            for (label, facts) in [("A->B", toB), ("B->A", toA), ("A->host", toHost)] {
                #expect(facts["fault"] == nil, "\(label): \(facts)")
                #expect(facts["echoed"]?.number == 200 && facts["corrupted"]?.number == 0, "\(label): \(facts)")
                #expect(facts["bulk_bytes"]?.number == Double(4 << 20), "\(label): \(facts)")
                #expect((facts["rtt_p50_us"]?.number ?? 0) > 0 && (facts["bulk_mib_per_s"]?.number ?? 0) > 0, "\(label): \(facts)")
            }
            let numbers = { (facts: [String: FactValue], key: String) in facts[key]?.number ?? 0 }
            print("""
                guest-to-guest vs guest-to-host vsock (64 B x 200 round trips, 4 MiB echo): \
                A->B p50 \(numbers(toB, "rtt_p50_us")) us, \(numbers(toB, "bulk_mib_per_s")) MiB/s; \
                B->A p50 \(numbers(toA, "rtt_p50_us")) us, \(numbers(toA, "bulk_mib_per_s")) MiB/s; \
                A->host p50 \(numbers(toHost, "rtt_p50_us")) us, \(numbers(toHost, "bulk_mib_per_s")) MiB/s; \
                connect A->B \(numbers(toB, "connect_ms")) ms, A->host \(numbers(toHost, "connect_ms")) ms
                """)
            // No VM has CID 9 on this backend: RST, so connect fails at once (not after a timeout).
            let nobody = try await Self.peerEcho(a, device: deviceA, cid: 9, port: 1025, bulk: 0)
            #expect(nobody["fault"] != nil && Self.text(nobody["connect_error"]).contains("ECONNRESET"), "\(nobody)")
            try await a.poweroff(deadline: .now + .seconds(30))
            try await b.poweroff(deadline: .now + .seconds(30))
        } catch {
            echo.close()
            await guests.tearDown()
            throw error
        }
        echo.close()
        await guests.tearDown()
        let log = (try? String(contentsOf: guests.backendLog, encoding: .utf8)) ?? ""
        #expect(log.contains("statistics CID 3") && log.contains("statistics CID 4"), "\(log.suffix(2000))")
        #expect(processesMentioning("avps-it-g2g").isEmpty)
    }

    @Test("negative control: two guests on separate backends cannot reach each other (fault, not a pass)")
    func separateBackendsIsolated() async throws {
        let guests = try await TwoGuests("it-g2g-apart")
        do {
            try await guests.boot(sharedBackend: false)
            let a = try await guests.agent(0)
            let deviceA = try await Self.vsockDevice(a)
            // Both guests are CID 3 in their own backend; CID 4 does not exist for A.
            let facts = try await Self.peerEcho(a, device: deviceA, cid: 4, port: 1025, bulk: 0)
            #expect(facts["fault"] != nil && facts["echoed"] == nil, "\(facts)")
            #expect(Self.text(facts["connect_error"]).contains("ECONNRESET"), "refused at once, not timed out: \(facts)")
        } catch {
            await guests.tearDown()
            throw error
        }
        await guests.tearDown()
        #expect(processesMentioning("avps-it-g2g-apart").isEmpty)
    }
}

/// A host program behind the hybrid-vsock convention: guests connecting to host port P reach
/// the Unix socket `<uds>_P`. Serves the agent's bulk `echo N` command on a thread of its own.
final class HostEchoServer: @unchecked Sendable {
    private let listener: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
        let fd = listener
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Self.serve(client)
                Glibc.close(client)
            }
        }.start()
    }

    private static func serve(_ fd: Int32) {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 && byte != 10 { line.append(byte) }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 2, words[0] == "echo", var left = Int(words[1]) else { return }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while left > 0 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, left)) }
            if count <= 0 { return }
            var sent = 0
            while sent < count {
                let wrote = buffer.withUnsafeBytes { send(fd, $0.baseAddress.map { $0 + sent }, count - sent, Int32(MSG_NOSIGNAL)) }
                if wrote <= 0 { return }
                sent += wrote
            }
            left -= count
        }
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        unlink(path)
    }
}
