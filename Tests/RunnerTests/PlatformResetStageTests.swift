import AVPSModel
import Foundation
@testable import AgentProtocol
@testable import HypervisorCore
@testable import Runner
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `PlatformResetStage` against a scripted agent on a socketpair: what decides "the guest was reset"
/// is a new boot id after the agent's second `ready`, never the reset command's success alone.
@Suite("platform reset stage")
struct PlatformResetStageTests {
    /// Answers one `system.uptime` probe with `bootID`.
    static func answerUptime(_ guest: ScriptedGuest, bootID: String) -> Bool {
        guard let line = guest.readLine(timeout: .seconds(30)), let id = ScriptedGuest.id(of: line) else { return false }
        return guest.send(#"{"id":\#(id),"result":{"name":"system.uptime","device":null,"status":"ok","facts":{"boot_id":"\#(bootID)","uptime_seconds":1.5},"reason":null}}"# + "\n")
    }

    /// Runs the stage with a guest that reports `before`, then (after `reset` ran) `ready` and `after`.
    func run(before: String, after: String, resetFails: Bool = false) async throws -> [String: FactValue] {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        let host = UnixSocketStream(fd: fds[0], path: "socketpair")
        let guest = ScriptedGuest(fd: fds[1])
        let resetRan = DispatchSemaphore(value: 0), finished = ScriptFinished()
        let thread = Thread {
            if Self.answerUptime(guest, bootID: before), !resetFails {
                _ = resetRan.wait(timeout: .now() + 30)  // the script thread, not the cooperative pool
                if guest.send(AgentFrames.ready) { _ = Self.answerUptime(guest, bootID: after) }
            }
            guest.waitForHostToLeave(timeout: .seconds(2))
            guest.close()
            finished.signal()
        }
        thread.start()
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("avps-reset-stage-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let launch = try await ScriptedHypervisor { _ in }.prepare(TargetSpec(name: "scripted", adapter: "external", devices: []),
                                                                     boot: BootArtifacts(kernel: "k", initrd: "i", kernelCommandLine: ""),
                                                                     artifactDirectory: artifacts)
        defer { try? FileManager.default.removeItem(at: launch.workspace) }
        let facts = Mutex<[String: FactValue]>([:])
        // Patient, as HostileAgentTests are: in the parallel unit-test run the streams' Dispatch reads
        // wait behind other suites' blocking ones for seconds (5 s timed out there; alone it takes 6 ms).
        let stage = PlatformResetStage(timeouts: RunTimeouts(boot: .seconds(30), request: .seconds(30)))
        _ = try await stage.run(AgentClient(stream: host), guest: RunningGuest(launch: launch, agent: host, processID: 0), reset: {
            if resetFails { throw HypervisorError.control("reset command my-hv reset exited with status 3") }
            resetRan.signal()
        }, record: { observed in facts.withLock { $0.merge(observed) { _, new in new } } })
        host.close()
        await finished.wait()
        return facts.withLock { $0 }
    }

    @Test("a new boot id after the second ready is a reset, with the time to the new agent")
    func newBootID() async throws {
        let facts = try await run(before: "aaaa", after: "bbbb")
        #expect(facts["platform_reset_reboots_guest"] == .bool(true))
        #expect(facts["platform_reset_detail"] == nil)
        guard case .double(let seconds)? = facts["platform_reset_to_agent_seconds"] else {
            Issue.record("no time recorded: \(facts)")
            return
        }
        #expect(seconds >= 0 && seconds < 30)
    }

    @Test("the same boot id after the second ready is not a reset, and says so")
    func sameBootID() async throws {
        let facts = try await run(before: "aaaa", after: "aaaa")
        #expect(facts["platform_reset_reboots_guest"] == .bool(false))
        #expect(facts["platform_reset_detail"].map { "\($0)" }?.contains("same boot id") == true, "\(facts)")
    }

    @Test("a failing reset command is recorded and the old agent is kept")
    func failingCommand() async throws {
        let facts = try await run(before: "aaaa", after: "-", resetFails: true)
        #expect(facts["platform_reset_reboots_guest"] == .bool(false))
        #expect(facts["platform_reset_detail"].map { "\($0)" }?.contains("exited with status 3") == true, "\(facts)")
        #expect(facts["platform_reset_to_agent_seconds"] == nil)
    }
}
