import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import SSHTransport

/// The live part of a remote launch: connect, upload, start QEMU remotely, attach the agent and
/// QMP over the connection, hand the guest to the caller, and tear everything down whatever happens.
struct SSHRemoteSession: Sendable {
    let launch: PreparedLaunch
    let plan: SSHRemotePlan
    let spec: SSHSpec
    let timeouts: LaunchTimeouts
    let stages: StageLog

    func run<T: Sendable>(_ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        let connection: SSHConnection
        do {
            connection = try await stages.run("ssh connected") { () async throws(SSHError) in try await SSHConnection.open(spec) }
        } catch {
            throw Self.mapped(error)
        }
        var workspace: RemoteWorkspace?
        var qemu: RemoteProcess?
        var qmp: QMPClient?
        var agent: SSHChannelStream?
        do {
            try await stages.run("artifacts uploaded") { () async throws in
                workspace = try await RemoteWorkspace.create(plan.directory, launchID: nil, on: connection)
                try await SFTPTransfer.run(plan.uploads.map { .upload(local: $0.local, remote: $0.remote) }, on: connection)
            }
            let started = try await stages.run("hypervisor started") { () async throws -> (RemoteProcess, SSHChannelStream, QMPClient) in
                try await start(on: connection, qemu: &qemu)
            }
            (agent, qmp) = (started.1, started.2)
            let value = try await whileRunning(started.0, agent: started.1, qmp: started.2, body)
            await stop(started.0, qmp: started.2, graceful: true)
            await finish(connection, qemu: started.0, workspace: workspace)
            return value
        } catch {
            let exited = await qemu?.pollExit()
            if let qemu { await stop(qemu, qmp: qmp, graceful: false) }
            agent?.close()
            await finish(connection, qemu: qemu, workspace: workspace)
            if let exited, !(error is CancellationError), !(error as? AgentError == .cancelled) {
                throw HypervisorError.exitedEarly(status: "remote QEMU exited with status \(exited)", detail: launch.stderrTail)
            }
            throw Self.mapped(error)
        }
    }

    /// Supervisor (QEMU paused) → agent channel → QMP → `cont`: the host listens before the guest runs.
    private func start(on connection: SSHConnection, qemu: inout RemoteProcess?) async throws -> (RemoteProcess, SSHChannelStream, QMPClient) {
        let deadline = ContinuousClock.now + timeouts.control
        let running = try await RemoteProcess.start(
            script: plan.script, label: "\(plan.qemuCommand.first ?? "qemu") on \(connection.endpoint)",
            startedPrefix: SSHRemotePlan.startedPrefix, exitedPrefix: SSHRemotePlan.exitedPrefix,
            on: connection, deadline: deadline)
        qemu = running
        let agent = try await forward(plan.agentSocket, connection: connection, qemu: running, deadline: deadline)
        do {
            let control = try await forward(plan.qmpSocket, connection: connection, qemu: running, deadline: deadline)
            let client = try await QMPClient.attach(control, deadline: deadline)
            try await client.execute("cont", deadline: deadline)
            return (running, agent, client)
        } catch {
            agent.close()
            throw error
        }
    }

    /// Opens a forwarded channel to a socket QEMU creates, retrying until it exists; fails fast
    /// when QEMU has already exited.
    private func forward(_ path: String, connection: SSHConnection, qemu: RemoteProcess,
                         deadline: ContinuousClock.Instant) async throws -> SSHChannelStream {
        while true {
            do {
                return SSHChannelStream(try await SSHChannel.forwardUnix(path, on: connection))
            } catch {
                if let status = await qemu.pollExit() {
                    throw HypervisorError.exitedEarly(status: "remote QEMU exited with status \(status) during start",
                                                      detail: launch.stderrTail)
                }
                if ContinuousClock.now >= deadline { throw HypervisorError.control("remote socket never appeared: \(error)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Runs the caller's body; a QEMU that ends meanwhile closes the agent stream, turning a long
    /// read timeout into an immediate, explained failure.
    private func whileRunning<T: Sendable>(_ qemu: RemoteProcess, agent: SSHChannelStream, qmp: QMPClient,
                                           _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        // processID stays 0: the pid is the remote host's, never one to signal here.
        try await whileWatching(agent, every: .milliseconds(200), hasEnded: { await qemu.pollExit() != nil }) {
            try await body(RunningGuest(launch: launch, agent: agent, processID: 0, qmp: qmp))
        }
    }

    /// Guest poweroff (when the caller asked for it), then QMP `quit`, then SIGTERM, then SIGKILL.
    /// Runs in a fresh task so that it completes even when the caller was cancelled.
    private func stop(_ qemu: RemoteProcess, qmp: QMPClient?, graceful: Bool) async {
        let grace = graceful ? timeouts.shutdown : .zero
        await Task {
            await terminate(qemu, qmp: qmp, grace: grace)
            await qmp?.close()
        }.value
    }

    private func terminate(_ qemu: RemoteProcess, qmp: QMPClient?, grace: Duration) async {
        if await qemu.waitForExit(timeout: grace) { return }
        if let qmp {
            _ = try? await qmp.execute("quit", deadline: .now + .seconds(2))
            if await qemu.waitForExit(timeout: .seconds(3)) { return }
        }
        await qemu.signal("TERM")
        if await qemu.waitForExit(timeout: .seconds(3)) { return }
        await qemu.signal("KILL")
        _ = await qemu.waitForExit(timeout: .seconds(5))
    }

    /// Logs back into the artifacts, QEMU's supervisor ended, then the janitor removes the remote
    /// directory (it answers once `rm -rf` is done), then the connection closes.
    private func finish(_ connection: SSHConnection, qemu: RemoteProcess?, workspace: RemoteWorkspace?) async {
        await Task {
            if workspace != nil {
                _ = try? await SFTPTransfer.run(plan.downloads.map { .download(remote: $0.remote, local: $0.local) }, on: connection)
            }
            await qemu?.finish()
            await workspace?.remove()
            await connection.close()
        }.value
    }

    static func mapped(_ error: any Error) -> any Error {
        (error as? SSHError)?.hypervisorError ?? error
    }
}
