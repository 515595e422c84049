import AVPSModel
import Foundation
@testable import HypervisorCore
@testable import AgentProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A `Hypervisor` double with no process behind it: the "guest" is a script on the far end of a
/// socketpair, and the runner reads the near end through the real `UnixSocketStream`. Only the
/// byte layer is faked; framing, routing, timeouts, stages and scoring are the real code.
struct ScriptedHypervisor: Hypervisor {
    let name = "qemu"
    /// Runs on its own thread with the guest end; returns when it is done misbehaving.
    let script: @Sendable (ScriptedGuest) -> Void

    func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("avps-scripted-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        } catch {
            throw .workspace("\(error)")
        }
        let serial = artifactDirectory.appendingPathComponent("serial.log")
        try? Data("scripted guest: no kernel, only a hostile agent\n".utf8).write(to: serial)
        return PreparedLaunch(
            target: target, accelerator: "tcg", commandLine: ["scripted-guest", target.name],
            expectedVirtioDevices: [], workspace: workspace, agentSocket: "socketpair", qmpSocket: "",
            serialLog: serial, stderrLog: artifactDirectory.appendingPathComponent("scripted-stderr.log"))
    }

    func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        defer { discard(launch) }
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw HypervisorError.workspace("socketpair: errno \(errno)")
        }
        let host = UnixSocketStream(fd: fds[0], path: "socketpair")
        let guest = ScriptedGuest(fd: fds[1])
        let finished = ScriptFinished()
        let script = self.script
        stages.record("hypervisor started", start: .now, ok: true)
        let thread = Thread {
            script(guest)
            guest.close()
            finished.signal()
        }
        thread.start()
        do {
            let value = try await body(RunningGuest(launch: launch, agent: host, processID: 0))
            host.close()
            await finished.wait()
            return value
        } catch {
            host.close()
            await finished.wait()
            throw error
        }
    }

    func version() async -> String? { "scripted 1.0" }
}

/// Lets the async side wait for the script thread without blocking the cooperative pool.
final class ScriptFinished: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        lock.lock()
        done = true
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if done {
                lock.unlock()
                continuation.resume()
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
