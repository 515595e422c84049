import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import SSHTransport
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Drives a vendor hypervisor through the external contract (`ExternalSpec`): shell-free start,
/// stop and reset commands, and a declared place where the agent's byte stream appears.
///
/// A start command that keeps running is the hypervisor process: it gets its own process group,
/// the orphan guard, and SIGTERM/SIGKILL when no `stop` is given. A start command that returns at
/// once (a daemonizing tool such as `xl create`) must come with `stop`, which always runs at the end.
public struct ExternalAdapter: Hypervisor {
    public let name = "external"

    public init() {}

    public func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        guard let spec = target.external else { throw .invalidTarget("adapter external needs an `external:` section") }
        guard let program = spec.start.first, !program.isEmpty else { throw .invalidTarget("external.start is empty") }
        if let remote = spec.remote {
            guard target.membership == nil else { throw .unsupported("a VM of a system through a remote external host (its links are local ports)") }
            return try prepareRemote(target, spec: spec, remote: remote, boot: boot, artifactDirectory: artifactDirectory)
        }
        let links = try ExternalLinks.placeholders(target.membership)
        let workspace = try Workspace.create()
        let placeholders = ExternalPlaceholders(
            values: links.values.merging(["kernel": boot.kernel, "initrd": boot.initrd,
                     "cmdline": ([boot.kernelCommandLine] + target.kernelAppend).joined(separator: " "),
                     "workspace": workspace.path, "name": target.name,
                     // Our own vsock backend, for VMMs that need a vhost-user-vsock device.
                     "avps": HostVsockSupport.backendExecutable() ?? "avps",
                     "serial_log": artifactDirectory.appendingPathComponent("serial.log").path]) { _, own in own })
        let start = placeholders.apply(spec.start)
        let channelPath: String = switch spec.channel {
        case .unix(let path): placeholders.apply(path)
        case .hybridVsock(let path, _): placeholders.apply(path)
        case .tcp(let host, let port): "\(host):\(port)"
        }
        var launch = PreparedLaunch(
            target: target, accelerator: "external", commandLine: start,
            expectedVirtioDevices: (target.devices.compactMap(\.virtioDeviceID) + links.expected).sorted(), workspace: workspace,
            agentSocket: channelPath, qmpSocket: "",
            serialLog: artifactDirectory.appendingPathComponent("serial.log"),
            stderrLog: artifactDirectory.appendingPathComponent("hypervisor-stderr.log"), adapterPlan: placeholders)
        launch.consoleSockets = (spec.consolePorts ?? [:]).mapValues { placeholders.apply($0) }
        if case .hybridVsock(_, let port) = spec.channel, port == AgentStreams.controlPort {
            // The agent's other vsock ports (its bulk port for the throughput measurement, its
            // control port after a reboot) are reached through the same hybrid socket, as with the
            // qemu adapter's own backend.
            launch.agentChannel = .userVsock(backend: program)
            launch.vsockUDS = channelPath
        }
        if let files = spec.hostFiles {
            launch.hostDataEnds = HostDataEnds(blockImages: placeholders.apply(files.block),
                                               shareDirectories: placeholders.apply(files.ninep), pmemFiles: placeholders.apply(files.pmem))
        }
        return launch
    }

    public func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        if let plan = launch.adapterPlan as? RemoteExternalPlan, let remote = launch.target.external?.remote {
            let session = RemoteExternalSession(launch: launch, plan: plan, remote: remote, timeouts: timeouts, stages: stages)
            // Remotely the supervisor and the janitor sweep the launch when the connection drops;
            // locally the guard removes the (empty) workspace if avps dies.
            return try await guardedSession(launch) { try await session.run(body) }
        }
        defer { discard(launch) }
        guard let spec = launch.target.external else { throw HypervisorError.invalidTarget("missing external section") }
        let stderrFD: FileDescriptor
        do {
            stderrFD = try FileDescriptor.open(FilePath(launch.stderrLog.path), .writeOnly,
                                               options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
        } catch {
            throw HypervisorError.workspace("cannot open \(launch.stderrLog.path): \(error)")
        }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(3))]
        // Marks every process of this launch, however it detaches, for the sweep at the end.
        let launchID = LaunchProcesses.newLaunchID()
        // The sweep runs however the launch ends (return, throw, cancellation), once the start
        // command itself has been reaped: what is left then are its descendants.
        defer { LaunchProcesses.killLaunch(launchID) }
        do {
            return try await OrphanGuard.protect(workspace: launch.workspace, launchID: launchID) { orphanGuard in
                let session = ExternalSession(launch: launch, spec: spec, timeouts: timeouts, stages: stages,
                                              launchID: launchID, orphanGuard: orphanGuard)
                let outcome = try await Subprocess.run(
                    ExecutableLookup.executable(launch.commandLine[0]), arguments: Arguments(Array(launch.commandLine.dropFirst())),
                    environment: .inherit.updating(LaunchProcesses.environment(launch: launchID)),
                    platformOptions: options, input: .none, output: .discarded,
                    error: .fileDescriptor(stderrFD, closeAfterSpawningProcess: true)
                ) { execution in
                    let pid = execution.processIdentifier.value
                    orphanGuard.announce(processGroup: pid)
                    return try await session.run(pid: pid, body)
                }
                return outcome.closureResult
            }
        } catch let error as SubprocessError {
            throw HypervisorError.launchFailed("\(launch.commandLine[0]): \(error)")
        }
    }

    public func version() async -> String? { nil }

    /// The remote form: paths are the remote host's, the recorded command line is
    /// `["ssh", "user@host:port", start…]`; local files to upload must exist now.
    private func prepareRemote(_ target: TargetSpec, spec: ExternalSpec, remote: ExternalRemote, boot: BootArtifacts,
                               artifactDirectory: URL) throws(HypervisorError) -> PreparedLaunch {
        for (name, local) in remote.uploads.sorted(by: { $0.key < $1.key })
        where !FileManager.default.isReadableFile(atPath: local) {
            throw .invalidTarget("external.remote.upload.\(name): cannot read \(local)")
        }
        return try withNewWorkspace { workspace throws(HypervisorError) in
            let plan = RemoteExternalPlan(target, spec: spec, remote: remote, boot: boot, workspace: workspace,
                                          artifactDirectory: artifactDirectory)
            let channel: String = switch plan.channel {
            case .unix(let path), .hybridVsock(let path, _): path
            case .tcp(let host, let port): "\(host):\(port)"
            }
            return PreparedLaunch(
                target: target, accelerator: "external", commandLine: ["ssh", SSHPaths.endpoint(remote.ssh)] + plan.start,
                expectedVirtioDevices: target.devices.compactMap(\.virtioDeviceID).sorted(), workspace: workspace,
                agentSocket: channel, qmpSocket: "",
                serialLog: artifactDirectory.appendingPathComponent("serial.log"),
                stderrLog: artifactDirectory.appendingPathComponent("hypervisor-stderr.log"),
                adapterPlan: plan)
        }
    }
}

/// `{name}` substitution in argument lists; unknown placeholders stay as written.
struct ExternalPlaceholders: Sendable {
    var values: [String: String]

    func apply(_ text: String) -> String {
        values.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
    }

    func apply(_ arguments: [String]) -> [String] { arguments.map(apply) }
}
