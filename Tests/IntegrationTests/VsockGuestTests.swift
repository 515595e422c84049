import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real TCG guests whose agent is reached over vsock through our own vhost-user-vsock backend.
@Suite("vsock through the Swift backend", .guestSlot(minutes: 5), .serialized, .timeLimit(.minutes(20)))
struct VsockGuestTests {
    static func launch(_ name: String) async throws -> (QEMUAdapter, PreparedLaunch) {
        let guest = try await ReferenceGuestFixture.shared.guest()
        let boot = BootArtifacts(kernel: guest.kernel.path, initrd: guest.initrd.path, kernelCommandLine: guest.baseCommandLine)
        let adapter = QEMUAdapter(cacheDirectory: nil)
        let target = TargetSpec(name: name, accelerator: "tcg", devices: [.entropy], agentChannel: .vsock)
        let directory = try Paths.temporaryDirectory(name).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (adapter, try await adapter.prepare(target, boot: boot, artifactDirectory: directory))
    }

    /// Backend processes of this launch (QEMU mentions the socket too, so filter on the subcommand).
    static func backends(of launch: PreparedLaunch) -> [Int32] {
        processesMentioning(launch.vsockSocket).filter { pid in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return text.contains("vsockd")
        }
    }

    static func fnv1a(_ bytes: [UInt8], _ hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        bytes.reduce(hash) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// Sends `count` random bytes through the agent's bulk echo and compares the checksum.
    static func expectEcho(of count: Int, through guest: RunningGuest) async throws {
        let bulk = try #require(try await guest.vsockStream(port: RunningGuest.agentBulkPort))
        defer { bulk.close() }
        let blob = (0..<count).map { _ in UInt8.random(in: 0...255) }
        let deadline = ContinuousClock.now + .seconds(60)
        try await bulk.write(Array("echo \(blob.count)\n".utf8), deadline: deadline)
        var echoed: [UInt8] = []
        for start in stride(from: 0, to: blob.count, by: 64 << 10) {
            try await bulk.write(Array(blob[start..<min(start + (64 << 10), blob.count)]), deadline: deadline)
            while echoed.count < min(start + (64 << 10), blob.count) {
                let bytes = try await bulk.read(maxBytes: 1 << 20, deadline: deadline, waitingFor: "echo")
                try #require(!bytes.isEmpty)
                echoed += bytes
            }
        }
        #expect(echoed.count == blob.count && fnv1a(echoed) == fnv1a(blob))
    }

    /// A blocking hybrid-vsock client with a receive timeout (test side only).
    static func rawConnect(_ path: String, port: UInt32) throws -> (fd: Int32, answer: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = Array("CONNECT \(port)\n".utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 && byte != 10 { line.append(byte) }
        return (fd, String(decoding: line, as: UTF8.self))
    }

    @Test("agent conversation, 1 MiB echo with checksum, refused port, half-close — all over vsock")
    func conversationOverVsock() async throws {
        let (adapter, launch) = try await Self.launch("it-vsock-echo")
        #expect(launch.agentChannel.name == "vsock-user")
        #expect(launch.commandLine.contains { $0.contains("memory-backend-memfd") && $0.contains("share=on") })
        try await adapter.withRunningGuest(launch, timeouts: LaunchTimeouts(), stages: StageLog()) { guest in
            let client = AgentClient(stream: guest.agent)
            _ = try await client.waitForReady(deadline: .now + .seconds(120))
            let identity = try await client.hello(deadline: .now + .seconds(30))
            #expect(identity.machine == "x86_64")
            // The control channel answers at once: an agent that slept 50 ms per loop while its
            // virtio-serial port stood unused made every request over vsock take 50+ ms (3.5 ms now).
            var rounds: [Duration] = []
            for _ in 0..<10 {
                let start = ContinuousClock.now
                _ = try await client.hello(deadline: .now + .seconds(30))
                rounds.append(ContinuousClock.now - start)
            }
            let median = rounds.sorted()[rounds.count / 2]
            #expect(median < .milliseconds(40), "median hello round trip \(median)")
            let devices = try await client.inventory(deadline: .now + .seconds(30))
            #expect(devices.contains { $0.deviceID == 19 && $0.driver != nil })

            try await Self.expectEcho(of: 1 << 20, through: guest)

            // Nobody listens on port 4444: the guest answers RST and the backend closes the client.
            let refused = try Self.rawConnect(launch.vsockUDS, port: 4444)
            #expect(refused.answer.isEmpty)
            close(refused.fd)

            // Half-close: the host shuts its sending side after the payload, and still reads the reply.
            let half = try Self.rawConnect(launch.vsockUDS, port: RunningGuest.agentBulkPort)
            defer { close(half.fd) }
            #expect(half.answer.hasPrefix("OK "))
            let request = Array("sink 1000\n".utf8) + [UInt8](repeating: 1, count: 1000)
            _ = request.withUnsafeBytes { send(half.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            shutdown(half.fd, Int32(SHUT_WR))
            var reply: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let count = read(half.fd, &buffer, buffer.count)
                if count <= 0 { #expect(count == 0, "expected end of stream, got errno \(errno)"); break }
                reply += buffer.prefix(count)
            }
            #expect(String(decoding: reply, as: UTF8.self).hasPrefix("ok "))

            try await client.poweroff(deadline: .now + .seconds(30))
        }
        #expect(processesMentioning("avps-it-vsock-echo").isEmpty)
        #expect(Self.backends(of: launch).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: launch.workspace.path))
    }

    @Test("the backend killed mid-transfer ends the run as INFRA at once, nothing left running")
    func backendKilled() async throws {
        let (adapter, launch) = try await Self.launch("it-vsock-kill")
        let clock = ContinuousClock()
        let killedAt = KillTime()
        let outcome: Result<Void, any Error>
        do {
            try await adapter.withRunningGuest(launch, timeouts: LaunchTimeouts(), stages: StageLog()) { guest in
                let client = AgentClient(stream: guest.agent)
                _ = try await client.waitForReady(deadline: .now + .seconds(120))
                let bulk = try #require(try await guest.vsockStream(port: RunningGuest.agentBulkPort))
                try await bulk.write(Array("source \(1 << 30)\n".utf8), deadline: .now + .seconds(30))
                _ = try await bulk.read(maxBytes: 1 << 16, deadline: .now + .seconds(30), waitingFor: "bulk data")
                for pid in Self.backends(of: launch) { kill(pid, SIGKILL) }
                await killedAt.set(clock.now)
                while true {  // the transfer hangs from the guest's view; only supervision can end it
                    let bytes = try await bulk.read(maxBytes: 1 << 20, deadline: .now + .seconds(60), waitingFor: "bulk data")
                    if bytes.isEmpty { break }
                }
                _ = try await client.hello(deadline: .now + .seconds(60))
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        let ended = clock.now
        guard case .failure(let error) = outcome else { Issue.record("the run survived its backend's death"); return }
        #expect("\(error)".contains("vsock backend exited"), "\(error)")
        let killed = try #require(await killedAt.value)
        #expect(ended - killed < .seconds(10), "took \(ended - killed)")
        #expect(processesMentioning("avps-it-vsock-kill").isEmpty)
        #expect(Self.backends(of: launch).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: launch.workspace.path))
    }

    @Test("a default run talks vsock and records the channel and its measurements")
    func defaultRunMeasuresVsock() async throws {
        let target = TargetSpec(name: "it-vsock-default", accelerator: "tcg", devices: [.entropy])
        let (outcome, _) = try await runTarget(target, profiles: ["avps-2.0", "automotive-extras"])
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let observations = try #require(result.evidence?.hostObservations)
        #expect(observations["agent_channel"] == .string("vsock-user"))
        for fact in ["vsock_rtt_us", "vsock_throughput_guest_to_host_mbps", "vsock_throughput_host_to_guest_mbps"] {
            #expect((observations[fact]?.number ?? 0) > 0, "\(fact): \(String(describing: observations[fact]))")
        }
        // The host's round trip decides the automotive latency row.
        let latency = outcome.results.flatMap(\.results).first { $0.key == "AUTO-VSOCK-01" }
        #expect(latency?.verdict == .pass && latency?.reason.contains("vsock_rtt_us") == true, "\(latency?.reason ?? "absent")")
        #expect(outcome.expectedVirtioDevices?.contains(19) == true)
        #expect(processesMentioning("avps-it-vsock-default").isEmpty)
    }
}

actor KillTime {
    private(set) var value: ContinuousClock.Instant?
    func set(_ instant: ContinuousClock.Instant) { value = instant }
}
