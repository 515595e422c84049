import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
#if canImport(Glibc)
import Glibc
#endif

/// The part of a QEMU launch that runs while the process is alive: attach, resume, hand the guest
/// to the caller, and shut down in order whatever happens.
struct GuestSession: Sendable {
    let launch: PreparedLaunch
    let timeouts: LaunchTimeouts
    let stages: StageLog
    /// Our vsock backend, supervised alongside QEMU (nil when the launch does not use it).
    var backend: VsockBackendHandle?

    func run<T: Sendable>(pid: Int32, _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        var qmp: QMPClient?
        var agent: (any ByteStream)?
        let supervisor = SessionSupervisor(launch: launch, backend: backend)
        do {
            let control = try await stages.run("hypervisor started") { () async throws -> QMPClient in
                let client = try await connectQMP(pid: pid)
                agent = try await AgentStreams.open(launch, deadline: .now + timeouts.control)
                try await client.execute("cont", deadline: .now + timeouts.control)
                return client
            }
            qmp = control
            guard let agent else { throw HypervisorError.control("agent socket missing") }
            // QEMU notices nothing when the guest or our vsock backend dies; closing the agent
            // stream then turns a long read timeout into an immediate, explained failure.
            let watcher = Task { await supervisor.watch(pid: pid, agent: agent) }
            defer { watcher.cancel() }
            let value = try await body(RunningGuest(launch: launch, agent: agent, processID: pid, qmp: control))
            await shutdown(pid: pid, qmp: control, guestPoweringOff: true)
            return value
        } catch {
            var exited = ProcessState.hasExited(pid)
            // QEMU's sockets close before its exit is visible to waitid: give a closed stream a
            // moment to be explained by the hypervisor's death.
            if !exited, case AgentError.closed = error {
                exited = await ProcessState.waitForExit(pid, timeout: .milliseconds(500))
            }
            // Before shutting QEMU down, which ends the backend too.
            var trouble = supervisor.trouble
            if trouble == nil { trouble = await supervisor.settle(qemu: pid) }
            let exitStatus = exited ? await Self.describeExit(pid: pid, qmp: qmp) : ""
            await shutdown(pid: pid, qmp: qmp, guestPoweringOff: false)
            agent?.close()
            if let trouble { throw trouble }
            if exited && !(error is CancellationError) && !(error as? AgentError == .cancelled) {
                throw HypervisorError.exitedEarly(status: exitStatus, detail: launch.stderrTail)
            }
            throw error
        }
    }

    /// "QEMU exited with status 0; QMP SHUTDOWN guest-reset: the guest asked for a reset (...)": an
    /// exit with an empty stderr is otherwise unexplained. Under `-no-reboot` a reset request (a
    /// triple fault, or a kernel panic with `panic=-1`) ends QEMU with status 0.
    static func describeExit(pid: Int32, qmp: QMPClient?) async -> String {
        let text = "QEMU exited" + (ProcessState.exitDescription(pid).map { " with \($0)" } ?? "")
        guard let event = await qmp?.lastShutdown(readingUntil: .now + .milliseconds(300)) else { return text }
        let reason = event.data["reason"] ?? "unknown"
        let meaning = [
            "guest-reset": ": the guest asked for a reset (a triple fault or a kernel panic, under -no-reboot)",
            "guest-shutdown": ": the guest powered off",
            "guest-panic": ": the guest reported a panic",
        ][reason] ?? ""
        return text + "; QMP SHUTDOWN \(reason)" + meaning
    }

    /// Connects QMP, failing fast if QEMU already exited (bad arguments, missing files). Only the
    /// connect is retried in short slices; the handshake then gets the whole control timeout, so a
    /// slow (loaded) host is not mistaken for a broken QEMU.
    private func connectQMP(pid: Int32) async throws -> QMPClient {
        let deadline = ContinuousClock.now + timeouts.control
        while true {
            do {
                let stream = try await UnixSocketStream.connect(path: launch.qmpSocket,
                                                                deadline: min(deadline, .now + .milliseconds(300)))
                return try await QMPClient.attach(stream, deadline: deadline)
            } catch {
                // A refused connect (AgentError) is retried while QEMU lives. QEMU listens on QMP
                // before it loads the kernel, so a missing kernel can also break the handshake a
                // moment before the process is gone: that failure waits briefly for the exit.
                let connectFailed = error is AgentError
                if await ProcessState.waitForExit(pid, timeout: connectFailed ? .zero : .milliseconds(500)) {
                    throw HypervisorError.exitedEarly(status: "QEMU exited during start", detail: launch.stderrTail)
                }
                guard connectFailed else { throw error }
                if ContinuousClock.now >= deadline { throw HypervisorError.control("cannot connect to QMP: \(error)") }
            }
        }
    }

    /// Guest poweroff (when the caller asked for it), then QMP `quit`, then SIGTERM, then SIGKILL.
    /// Runs in a fresh task so that it completes even when the caller was cancelled.
    private func shutdown(pid: Int32, qmp: QMPClient?, guestPoweringOff: Bool) async {
        let grace = guestPoweringOff ? timeouts.shutdown : .zero
        await Task {
            if await ProcessState.waitForExit(pid, timeout: grace) { await qmp?.close(); return }
            if let qmp {
                _ = try? await qmp.execute("quit", deadline: .now + .seconds(2))
                await qmp.close()
                if await ProcessState.waitForExit(pid, timeout: .seconds(3)) { return }
            }
            kill(pid, SIGTERM)
            if await ProcessState.waitForExit(pid, timeout: .seconds(3)) { return }
            kill(pid, SIGKILL)
            // SIGKILL always ends QEMU, but a loaded host can take seconds to tear down a guest's
            // memory; nothing may outlive the launch, so wait for the exit itself (bounded).
            _ = await ProcessState.waitForExit(pid, timeout: .seconds(30))
        }.value
    }

}
