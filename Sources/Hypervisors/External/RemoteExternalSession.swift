import AgentProtocol
import AVPSModel
import Foundation
import HypervisorCore
import SSHTransport

/// The live part of a remote external launch. Each step is undone on failure:
/// 1. connect (host key verified, public-key auth);
/// 2. private remote directory (0700) and its janitor;
/// 3. SFTP upload of kernel, initrd and the declared files;
/// 4. the supervisor starts the `start` command;
/// 5. the agent channel, forwarded back over the connection;
/// 6. the caller's body;
/// 7. `stop` (bounded), then TERM and KILL to every process of the launch;
/// 8. logs fetched, the janitor sweeps and removes the directory, disconnect.
struct RemoteExternalSession: Sendable {
    let launch: PreparedLaunch
    let plan: RemoteExternalPlan
    let remote: ExternalRemote
    let timeouts: LaunchTimeouts
    let stages: StageLog
    /// How long the remote `stop` command may run (as locally); the janitor's sweep ends it if it hangs.
    static let stopLimit: Duration = .seconds(20)

    func run<T: Sendable>(_ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        let connection: SSHConnection
        do {
            connection = try await stages.run("ssh connected") { () async throws(SSHError) in
                try await SSHConnection.open(remote.ssh)
            }
        } catch {
            throw Self.mapped(error)
        }
        var workspace: RemoteWorkspace?
        var process: RemoteProcess?
        var agent: (any ByteStream)?
        do {
            let uploadStart = ContinuousClock.now
            let tally = try await stages.run("artifacts uploaded") { () async throws -> UploadTally in
                workspace = try await RemoteWorkspace.create(plan.directory, launchID: plan.launchID, on: connection)
                return try await SFTPTransfer.run(plan.uploads.map { .upload(local: $0.local, remote: $0.remote) }, on: connection)
            }
            let uploadSeconds = (ContinuousClock.now - uploadStart).seconds
            let started = try await stages.run("hypervisor started") { () async throws -> (RemoteProcess, any ByteStream) in
                let running = try await RemoteProcess.start(
                    script: plan.script, label: "\(plan.start.first ?? "start") on \(connection.endpoint)",
                    startedPrefix: RemoteExternalPlan.startedPrefix, exitedPrefix: RemoteExternalPlan.exitedPrefix,
                    on: connection, deadline: .now + timeouts.control)
                process = running
                return (running, try await connect(connection, process: running))
            }
            agent = started.1
            let daemonizes = plan.stop != nil
            let value = try await whileWatching(started.1, every: .milliseconds(200),
                                                hasEnded: { daemonizes ? false : await started.0.pollExit() != nil }) {
                // processID stays 0: the pid is the remote host's, never one to signal here.
                var guest = RunningGuest(launch: launch, agent: started.1, processID: 0)
                guest.observations = Self.observations(tally, seconds: uploadSeconds)
                if let reset = plan.reset {
                    guest.reset = {
                        do { try await run(reset, process: started.0, on: connection, what: "reset") } catch { throw HypervisorError.control("\(error)") }
                    }
                }
                return try await body(guest)
            }
            let problem = await stop(started.0, on: connection, graceful: true)
            await finish(connection, process: started.0, workspace: workspace)
            // The verdicts were collected; the platform's own teardown broke: INFRA naming it.
            if let problem { throw HypervisorError.control(problem) }
            return value
        } catch let error as HypervisorError {
            await abandon(connection, process: process, agent: agent, workspace: workspace)
            throw error
        } catch {
            let died = await startCommandDied(process, after: error)
            await abandon(connection, process: process, agent: agent, workspace: workspace)
            if let died { throw HypervisorError.exitedEarly(status: died, detail: launch.stderrTail) }
            throw Self.mapped(error)
        }
    }

    /// The agent's channel on the remote host, forwarded over the connection; retried until the
    /// control timeout, failing fast when the start command failed.
    private func connect(_ connection: SSHConnection, process: RemoteProcess) async throws -> any ByteStream {
        let deadline = ContinuousClock.now + timeouts.control
        while true {
            if let status = await process.pollExit(), plan.stop == nil || status != 0 {
                await fetchLogs(connection)
                throw HypervisorError.exitedEarly(status: "start command exited with status \(status) on \(connection.endpoint)",
                                                  detail: launch.stderrTail)
            }
            do {
                return try await open(plan.channel, on: connection)
            } catch {
                if ContinuousClock.now >= deadline {
                    throw HypervisorError.control("agent channel \(launch.agentSocket) on \(connection.endpoint) never appeared "
                        + "within \(timeouts.control): \(error)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// One attempt. A hybrid-vsock socket only has to exist here: the stream connects lazily (the
    /// agent listens once the guest is up), each attempt a new forwarded channel plus `CONNECT`.
    private func open(_ channel: ExternalChannel, on connection: SSHConnection) async throws(SSHError) -> any ByteStream {
        switch channel {
        case .unix(let path):
            return SSHChannelStream(try await SSHChannel.forwardUnix(path, on: connection))
        case .tcp(let host, let port):
            return SSHChannelStream(try await SSHChannel.forwardTCP(host: host, port: port, on: connection))
        case .hybridVsock(let path, let port):
            let probe = try await SSHChannel.forwardUnix(path, on: connection)
            await probe.close()
            return HybridVsockStream(describing: "\(connection.endpoint):\(path)", port: UInt32(port)) { deadline throws(AgentError) in
                do {
                    return SSHChannelStream(try await SSHChannel.forwardUnix(path, on: connection))
                } catch {
                    // Not there or refusing yet: the stream retries until its deadline.
                    throw .timeout(waitingFor: "\(path) on \(connection.endpoint) (\(error))", seconds: 0)
                }
            }
        }
    }

    /// How the start command ended when that ended the launch (a non-zero status, or any exit
    /// without `stop`), nil otherwise.
    private func startCommandDied(_ process: RemoteProcess?, after error: any Error) async -> String? {
        guard let process, !(error is CancellationError), (error as? AgentError) != .cancelled else { return nil }
        guard await process.waitForExit(timeout: .milliseconds(500)), let status = await process.exitStatus,
              plan.stop == nil || status != 0 else { return nil }
        return "start command exited with status \(status)"
    }

    /// `stop` (bounded), then TERM and KILL to the launch's processes through the supervisor.
    /// Runs in a fresh task so it completes even when the caller was cancelled. Returns what went
    /// wrong with the stop command, if anything.
    private func stop(_ process: RemoteProcess, on connection: SSHConnection, graceful: Bool) async -> String? {
        let grace = graceful ? timeouts.shutdown : .zero
        return await Task { () -> String? in
            var problem: String?
            if plan.stop == nil, await process.waitForExit(timeout: grace) { return nil }
            if let stop = plan.stop {
                do {
                    try await run(stop, process: process, on: connection, what: "stop")
                } catch {
                    problem = "\(error)"
                }
                if await process.waitForExit(timeout: .seconds(3)) { return problem }
            }
            await process.signal("TERM")
            if await process.waitForExit(timeout: .seconds(3)) { return problem }
            await process.signal("KILL")
            _ = await process.waitForExit(timeout: .seconds(5))
            return problem
        }.value
    }

    /// A declared one-off command (`stop`, `reset`) on the remote host with `{pid}` of the start
    /// command, bounded by `stopLimit` at both ends; a failure or non-zero status is thrown.
    private func run(_ command: [String], process: RemoteProcess, on connection: SSHConnection, what: String) async throws(SSHError) {
        let arguments = ExternalPlaceholders(values: ["pid": String(process.processID)]).apply(command)
        let label = "\(what) command \(ShellQuoting.join(arguments)) on \(connection.endpoint)"
        try await SSHRemoteCommand.run(plan.command(arguments), label: label, on: connection, timeout: Self.stopLimit).check(label)
    }

    /// What the upload carried, as host observations (`remote.upload_*`): a sparse image sends its data only.
    static func observations(_ tally: UploadTally, seconds: Double) -> [String: FactValue] {
        ["remote.upload_bytes": .int(tally.size), "remote.upload_bytes_sent": .int(tally.sent),
         "remote.upload_seconds": .double((seconds * 1000).rounded() / 1000)]
    }

    /// Teardown after a failure: whatever was started is stopped and removed.
    private func abandon(_ connection: SSHConnection, process: RemoteProcess?, agent: (any ByteStream)?,
                         workspace: RemoteWorkspace?) async {
        if let process { _ = await stop(process, on: connection, graceful: false) }
        agent?.close()
        await finish(connection, process: process, workspace: workspace)
    }

    /// Logs into the artifacts, the supervisor ended (it sweeps), the janitor sweeps and removes
    /// the directory, then the connection closes.
    private func finish(_ connection: SSHConnection, process: RemoteProcess?, workspace: RemoteWorkspace?) async {
        await Task {
            if workspace != nil { await fetchLogs(connection) }
            await process?.finish()
            await workspace?.remove()
            await connection.close()
        }.value
    }

    private func fetchLogs(_ connection: SSHConnection) async {
        _ = try? await SFTPTransfer.run(plan.downloads.map { .download(remote: $0.remote, local: $0.local) }, on: connection)
    }

    static func mapped(_ error: any Error) -> any Error {
        (error as? SSHError)?.hypervisorError ?? error
    }
}
