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

/// Two real TCG guests on one vsock backend process (`avps vsockd --vm … --vm …`, CIDs 3 and 4):
/// the agent of one echoes through the other's bulk port, and through a host echo server, in the
/// same run, so guest-to-guest can be compared with guest-to-host.
///
/// The QEMU command lines are the adapter's own (`QEMUAdapter.prepare`, user vsock on a shared
/// memfd); only the backend and the two processes are started here, because one backend serves
/// both guests (the system launcher does the same for `links: vsock`).
@Suite("guest-to-guest vsock through one backend", .guestSlot(minutes: 6), .serialized, .timeLimit(.minutes(20)))
struct SiblingVsockGuestTests {
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
            try await a.poweroff(deadline: .now + .seconds(30))
            try await guests.agent(1).poweroff(deadline: .now + .seconds(30))
        } catch {
            await guests.tearDown()
            throw error
        }
        await guests.tearDown()
        #expect(guests.survivors.isEmpty, "needed SIGKILL after powering off: \(guests.survivors)")
        #expect(processesMentioning("avps-it-g2g-apart").isEmpty)
    }

    @Test("through the adapter: two QEMUAdapter guests on one SharedVsockBackend reach each other; nothing left behind")
    func adapterGuestsOnSharedBackend() async throws {
        let (adapter, launchA) = try await VsockGuestTests.launch("it-g2g-shared-a")
        let (_, launchB) = try await VsockGuestTests.launch("it-g2g-shared-b")
        let directory = try Paths.temporaryDirectory("it-g2g-shared").appendingPathComponent("backend")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let members = [SharedVsockMember(cid: 3, socket: launchA.vsockSocket, uds: launchA.vsockUDS),
                       SharedVsockMember(cid: 4, socket: launchB.vsockSocket, uds: launchB.vsockUDS)]
        let backendPID = try await SharedVsockBackend.with(members, log: directory.appendingPathComponent("vsockd.log"), workspace: directory) { backend in
            try await adapter.withRunningGuest(launchB, timeouts: LaunchTimeouts(), stages: StageLog()) { guestB in
                let b = AgentClient(stream: guestB.agent)
                _ = try await b.waitForReady(deadline: .now + .seconds(180))
                try await adapter.withRunningGuest(launchA, timeouts: LaunchTimeouts(), stages: StageLog()) { guestA in
                    let a = AgentClient(stream: guestA.agent)
                    _ = try await a.waitForReady(deadline: .now + .seconds(180))
                    let facts = try await Self.peerEcho(a, device: try await Self.vsockDevice(a), cid: 4, port: 1025, bulk: 1 << 20)
                    #expect(facts["fault"] == nil && facts["echoed"] == .int(200) && facts["corrupted"] == .int(0), "\(facts)")
                    try await a.poweroff(deadline: .now + .seconds(30))
                }
                // A is gone; B and its vsock session to the host are not.
                _ = try await b.hello(deadline: .now + .seconds(30))
                try await b.poweroff(deadline: .now + .seconds(30))
            }
            return backend.processID
        }
        #expect(kill(backendPID, 0) != 0, "the shared backend outlived the system")
        #expect(processesMentioning("avps-it-g2g-shared").isEmpty)
        for launch in [launchA, launchB] {
            #expect(!FileManager.default.fileExists(atPath: launch.workspace.path))
            #expect(!FileManager.default.fileExists(atPath: launch.vsockSocket))
        }
    }
}
