import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// The live part of an external launch: find the agent's channel, hand the guest to the caller,
/// then stop the guest with the declared command or with signals.
struct ExternalSession: Sendable {
    let launch: PreparedLaunch
    let spec: ExternalSpec
    let timeouts: LaunchTimeouts
    let stages: StageLog
    let launchID: String
    let orphanGuard: OrphanGuard.Guard
    /// How long the declared `stop` command may run before its group is killed.
    static let stopLimit: Duration = .seconds(20)

    func run<T: Sendable>(pid: Int32, _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        var stream: (any ByteStream)?
        let value: T
        do {
            let connected = try await stages.run("hypervisor started") { try await connect(pid: pid) }
            stream = connected
            // A daemonizing start command exits at once; only a failing one ends the guest.
            let daemonizes = spec.stop != nil
            value = try await whileWatching(connected, every: .milliseconds(100),
                                            hasEnded: { !daemonizes && ProcessState.hasExited(pid) }) {
                var guest = RunningGuest(launch: launch, agent: connected, processID: pid)
                if let reset = spec.reset { guest.reset = { try await run(reset, pid: pid, what: "reset") } }
                return try await body(guest)
            }
        } catch {
            // A hypervisor that rejects its configuration after creating the agent socket (QEMU
            // makes chardevs before it realizes devices) shows up here as a reset or closed
            // stream; its own error is on its stderr, so that is the reason to report.
            let died = await startCommandDied(pid: pid, after: error)
            _ = await stop(pid: pid, graceful: false)
            stream?.close()
            if let died { throw HypervisorError.exitedEarly(status: died, detail: launch.stderrTail) }
            throw error
        }
        if let problem = await stop(pid: pid, graceful: true) {
            // The verdicts were collected; the platform's own teardown broke: INFRA naming it.
            throw HypervisorError.control(problem)
        }
        return value
    }

    /// How the start command ended when it ended in failure (a non-zero status or a signal; a
    /// daemonizing one exits 0 and is not dead), nil otherwise. The stream's error gets a moment,
    /// since sockets close before the exit is visible. The status is read once, here: the process
    /// is reaped soon after, and then it can no longer be asked.
    private func startCommandDied(pid: Int32, after error: any Error) async -> String? {
        if error is CancellationError || (error as? AgentError) == .cancelled { return nil }
        if error is HypervisorError { return nil }
        let exited = ProcessState.hasExited(pid) ? true : await ProcessState.waitForExit(pid, timeout: .milliseconds(500))
        guard exited else { return nil }
        let status = ProcessState.exitStatus(pid)
        if status == 0 { return nil }
        return status.map { "start command exited with status \($0)" } ?? "start command exited"
    }

    /// Connects to the declared channel, retrying until the control timeout; fails fast if the
    /// start command failed.
    ///
    /// A hybrid-vsock socket is only waited for here: the VMM (or its vsock backend) creates it at
    /// once, but the guest's agent listens only after boot, so the stream connects lazily and the
    /// "agent ready" stage, with the boot timeout, covers the guest's boot.
    private func connect(pid: Int32) async throws -> any ByteStream {
        let deadline = ContinuousClock.now + timeouts.control
        while true {
            if ProcessState.hasExited(pid), spec.stop == nil || ProcessState.exitStatus(pid) != 0 {
                throw HypervisorError.exitedEarly(status: "start command exited", detail: launch.stderrTail)
            }
            let slice = min(deadline, .now + .milliseconds(300))
            do {
                switch spec.channel {
                case .unix:
                    return try await UnixSocketStream.connect(path: launch.agentSocket, deadline: slice)
                case .tcp(let host, let port):
                    return try await UnixSocketStream.connectTCP(host: host, port: port, deadline: slice)
                case .hybridVsock(_, let port):
                    if FileManager.default.fileExists(atPath: launch.agentSocket) {
                        return HybridVsockStream(path: launch.agentSocket, port: UInt32(port))
                    }
                    if ContinuousClock.now >= deadline {
                        throw HypervisorError.control("agent channel \(launch.agentSocket) never appeared: "
                            + "no hybrid-vsock socket within \(timeouts.control)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            } catch let error as AgentError {
                if ContinuousClock.now >= deadline {
                    throw HypervisorError.control("agent channel \(launch.agentSocket) never appeared: \(error)")
                }
            }
        }
    }

    /// The start command's placeholders (`{name}`, `{workspace}`, ...) plus `{pid}`, for `stop` and `reset`.
    private func placeholders(pid: Int32) -> ExternalPlaceholders {
        var placeholders = launch.adapterPlan as? ExternalPlaceholders ?? ExternalPlaceholders(values: [:])
        placeholders.values["pid"] = String(pid)
        return placeholders
    }

    /// A declared one-off command (`reset`), bounded by `stopLimit`; a failure is `control` naming it.
    private func run(_ command: [String], pid: Int32, what: String) async throws {
        let arguments = placeholders(pid: pid).apply(command)
        let outcome = await BoundedCommand.run(arguments, limit: Self.stopLimit, launchID: launchID, orphanGuard: orphanGuard)
        if let problem = outcome.problem("\(what) command \(ShellQuoting.join(arguments))", limit: Self.stopLimit) {
            throw HypervisorError.control(problem)
        }
    }

    /// The declared stop command (bounded by `stopLimit`, its group killed on expiry), else SIGTERM
    /// then SIGKILL to the start process's group. Runs in a fresh task so it completes even when
    /// the caller was cancelled. Returns what went wrong with the stop command, if anything.
    private func stop(pid: Int32, graceful: Bool) async -> String? {
        let grace = graceful ? timeouts.shutdown : .zero
        let stopCommand = spec.stop.map { placeholders(pid: pid).apply($0) }
        let launchID = self.launchID
        let orphanGuard = self.orphanGuard
        return await Task { () -> String? in
            var problem: String?
            if spec.stop == nil, await ProcessState.waitForExit(pid, timeout: grace) { return nil }
            if let stopCommand {
                let outcome = await BoundedCommand.run(stopCommand, limit: Self.stopLimit, launchID: launchID,
                                                       orphanGuard: orphanGuard)
                problem = outcome.problem("stop command \(ShellQuoting.join(stopCommand))", limit: Self.stopLimit)
                if await ProcessState.waitForExit(pid, timeout: .seconds(3)) { return problem }
            }
            kill(-pid, SIGTERM)
            if await ProcessState.waitForExit(pid, timeout: .seconds(3)) { return problem }
            kill(-pid, SIGKILL)
            // SIGKILL always ends it, but a loaded host can take seconds to tear down a guest's
            // memory; nothing may outlive the launch, so wait for the exit itself (bounded).
            if !(await ProcessState.waitForExit(pid, timeout: .seconds(30))) {
                problem = (problem.map { $0 + "; " } ?? "") + "the start command (pid \(pid)) survived SIGKILL for 30 s"
            }
            return problem
        }.value
    }

}
