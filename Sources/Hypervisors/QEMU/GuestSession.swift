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
    /// Where a QEMU started again after a power cut is announced; nil: no power cut.
    var orphanGuard: OrphanGuard.Guard?

    func run<T: Sendable>(pid: Int32, _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        let lives = QEMULives(pid: pid)
        let supervisor = SessionSupervisor(launch: launch, backend: backend)
        do {
            let guest = try await stages.run("hypervisor started") { try await attach(pid: pid, lives: lives, supervisor: supervisor) }
            let value = try await body(guest)
            let life = lives.current
            await shutdown(pid: life.pid, qmp: life.qmp, guestPoweringOff: true)
            await lives.end()
            return value
        } catch {
            lives.stopWatching()
            let life = lives.current
            let pid = life.pid
            var exited = ProcessState.hasExited(pid)
            // QEMU's sockets close before its exit is visible to waitid: give a closed stream a
            // moment to be explained by the hypervisor's death.
            if !exited, case AgentError.closed = error {
                exited = await ProcessState.waitForExit(pid, timeout: .milliseconds(500))
            }
            // Before shutting QEMU down, which ends the backend too.
            var trouble = supervisor.trouble
            if trouble == nil { trouble = await supervisor.settle(qemu: pid) }
            let exitStatus = exited ? await Self.describeExit(pid: pid, qmp: life.qmp) : ""
            await shutdown(pid: pid, qmp: life.qmp, guestPoweringOff: false)
            life.agent?.close()
            await lives.end()
            if let trouble { throw trouble }
            if exited && !life.cut && !(error is CancellationError) && !(error as? AgentError == .cancelled) {
                throw HypervisorError.exitedEarly(status: exitStatus, detail: launch.stderrTail)
            }
            throw error
        }
    }

    /// Attaches to the paused QEMU `pid` (QMP, then the agent socket), lets the guest run, and
    /// watches the process; the guest it returns can have its power cut.
    private func attach(pid: Int32, lives: QEMULives, supervisor: SessionSupervisor) async throws -> RunningGuest {
        let control = try await connectQMP(pid: pid)
        lives.attached(qmp: control)
        let agent = try await AgentStreams.open(launch, deadline: .now + timeouts.control)
        lives.attached(agent: agent)
        try await control.execute("cont", deadline: .now + timeouts.control)
        // QEMU notices nothing when the guest or our vsock backend dies; closing the agent
        // stream then turns a long read timeout into an immediate, explained failure.
        lives.watch(Task { await supervisor.watch(pid: pid, agent: agent) })
        var guest = RunningGuest(launch: launch, agent: agent, processID: pid, qmp: control)
        if backend != nil {
            guest.powerCutUnavailable = "a power cut would end avps's own vsock backend with QEMU, and it is not started again yet "
                + "(give the target agent_channel: virtio-serial and no vsock device)"
        } else if orphanGuard == nil {
            guest.powerCutUnavailable = "this QEMU session cannot start QEMU again"
        } else {
            guest.powerCut = { try await cutPower(lives: lives, supervisor: supervisor) }
        }
        return guest
    }

    /// The power cut: SIGKILL (the guest gets no shutdown and QEMU flushes nothing on its way
    /// out), then the same command line again on the same disk files, attached as at the start.
    private func cutPower(lives: QEMULives, supervisor: SessionSupervisor) async throws -> RunningGuest {
        guard let orphanGuard else { throw HypervisorError.control("no orphan guard to announce a restarted QEMU to") }
        let old = lives.current
        lives.stopWatching()
        lives.markCut()
        kill(old.pid, SIGKILL)
        guard await ProcessState.waitForExit(old.pid, timeout: .seconds(30)) else {
            throw HypervisorError.control("QEMU (pid \(old.pid)) still ran 30 s after SIGKILL")
        }
        await old.qmp?.close()
        old.agent?.close()
        // QEMU binds its sockets anew; a stale file must not answer the first connect attempts.
        for socket in [launch.qmpSocket, launch.agentSocket] { unlink(socket) }
        let (pid, holder) = try await QEMURestart.start(launch, orphanGuard: orphanGuard)
        lives.restarted(pid: pid, holder: holder)
        return try await attach(pid: pid, lives: lives, supervisor: supervisor)
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
