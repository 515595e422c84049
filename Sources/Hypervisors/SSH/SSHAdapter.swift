import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import SSHTransport

/// Runs the target's QEMU on another host over SSH (adapter name `ssh`): a vendor's board or lab
/// server. The QEMU command line is the one the `qemu` adapter would use for the same device set,
/// with remote paths; the agent's virtio-serial socket and QMP are forwarded back over the SSH
/// connection (direct-streamlocal channels), so nothing but sshd needs to listen remotely.
///
/// The recorded command line is `["ssh", "user@host:port", qemu, arguments…]`. Lifecycle, each step
/// undone on failure: connect (host key verified, public-key auth) → remote directory (0700) and
/// SFTP upload of kernel and initramfs → supervisor script starts QEMU paused → agent and QMP
/// channels → `cont` → caller's body → guest poweroff, QMP `quit`, SIGTERM, SIGKILL → logs fetched
/// → remote directory removed → disconnect.
public struct SSHAdapter: Hypervisor {
    public let name = "ssh"

    public init() {}

    public func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        guard target.adapter == name else { throw .unsupported("adapter \(target.adapter) (this is \(name))") }
        guard let spec = target.ssh else { throw .invalidTarget("adapter ssh needs an `ssh:` section") }
        if target.agentChannel == .vsock || target.devices.contains(.vsock) {
            throw .unsupported("vsock over ssh (the agent channel is virtio-serial forwarded over SSH; use agent_channel: auto or virtio-serial)")
        }
        // The remote host cannot be probed before connecting.
        let accelerator = try unprobedAccelerator(target.accelerator)
        return try withNewWorkspace { workspace throws(HypervisorError) in
            let plan = try Self.plan(target, spec: spec, accelerator: accelerator, boot: boot, workspace: workspace,
                                     artifactDirectory: artifactDirectory)
            return PreparedLaunch(
                target: target, accelerator: accelerator,
                commandLine: ["ssh", SSHPaths.endpoint(spec)] + plan.launch.qemuCommand,
                expectedVirtioDevices: plan.expected, workspace: workspace,
                agentSocket: plan.launch.agentSocket, qmpSocket: plan.launch.qmpSocket,
                serialLog: artifactDirectory.appendingPathComponent("serial.log"),
                stderrLog: artifactDirectory.appendingPathComponent("qemu-stderr.log"),
                agentChannel: .virtioSerial(reason: "ssh adapter: virtio-serial socket forwarded over SSH"),
                adapterPlan: plan.launch)
        }
    }

    public func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        guard let plan = launch.adapterPlan as? SSHRemotePlan, let spec = launch.target.ssh else {
            discard(launch)
            throw HypervisorError.invalidTarget("not an ssh launch")
        }
        let session = SSHRemoteSession(launch: launch, plan: plan, spec: spec, timeouts: timeouts, stages: stages)
        // Remotely, the supervisor script is the orphan guard (it kills QEMU when the connection
        // drops); locally, the guard removes the (empty) workspace if avps dies.
        return try await guardedSession(launch) { try await session.run(body) }
    }

    /// The remote QEMU's version is only known once connected; results record the command line.
    public func version() async -> String? { nil }

    /// Remote paths mirror the local QEMU adapter's workspace layout, inside `remote_dir`.
    static func plan(_ target: TargetSpec, spec: SSHSpec, accelerator: String, boot: BootArtifacts, workspace: URL,
                     artifactDirectory: URL) throws(HypervisorError) -> (launch: SSHRemotePlan, expected: [Int]) {
        let parent = spec.remoteDirectory.hasSuffix("/") ? String(spec.remoteDirectory.dropLast()) : spec.remoteDirectory
        let directory = "\(parent)/avps-ssh-\(workspace.lastPathComponent.replacingOccurrences(of: "avps-", with: ""))"
        let paths = QEMUCommandLine.Paths(qmpSocket: "\(directory)/qmp.sock", agentSocket: "\(directory)/agent.sock",
                                          serialLog: "\(directory)/serial.log", workspace: directory)
        let remoteBoot = BootArtifacts(kernel: "\(directory)/kernel", initrd: "\(directory)/initrd",
                                       kernelCommandLine: boot.kernelCommandLine)
        let (arguments, expected) = try QEMUCommandLine.arguments(for: target, accelerator: accelerator,
                                                                  boot: remoteBoot, paths: paths, vsock: nil)
        let qemu = [spec.qemu] + arguments
        let launch = SSHRemotePlan(
            directory: directory,
            uploads: [.init(local: boot.kernel, remote: remoteBoot.kernel), .init(local: boot.initrd, remote: remoteBoot.initrd)],
            downloads: [.init(local: artifactDirectory.appendingPathComponent("serial.log").path, remote: paths.serialLog),
                        .init(local: artifactDirectory.appendingPathComponent("qemu-stderr.log").path,
                              remote: "\(directory)/qemu-stderr.log")],
            agentSocket: paths.agentSocket, qmpSocket: paths.qmpSocket, qemuCommand: qemu,
            script: SSHRemotePlan.script(directory: directory, qemu: qemu,
                                         setup: SSHRemotePlan.setupCommands(target, paths: paths)))
        return (launch, expected)
    }
}
