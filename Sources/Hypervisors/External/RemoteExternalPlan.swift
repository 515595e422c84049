import AVPSModel
import Foundation
import HypervisorCore
import SSHTransport

/// What a remote external launch does on the other host, decided before connecting (pure, so
/// `--plan` shows it): the private directory, the uploads, the start command with remote paths,
/// and the supervisor script that runs it there.
struct RemoteExternalPlan: Sendable {
    /// The launch's private directory on the remote host (mode 0700, removed at the end).
    var directory: String
    /// Local path -> remote path.
    var uploads: [(local: String, remote: String)]
    /// Remote path -> local artifact.
    var downloads: [(remote: String, local: String)]
    /// `start`, `stop` and `reset` with every placeholder replaced by its remote value.
    var start: [String]
    var stop: [String]?
    var reset: [String]?
    /// Marks every remote process of the launch (`AVPS_LAUNCH=<id>`), for the sweeps.
    var launchID: String
    /// Where the agent's byte stream appears on the remote host, placeholders replaced.
    var channel: ExternalChannel
    var remoteStderr: String

    static let startedPrefix = "avps-start-pid "
    static let exitedPrefix = "avps-start-exit "

    init(_ target: TargetSpec, spec: ExternalSpec, remote: ExternalRemote, boot: BootArtifacts,
         workspace: URL, artifactDirectory: URL) {
        let parent = remote.ssh.remoteDirectory.hasSuffix("/") ? String(remote.ssh.remoteDirectory.dropLast())
            : remote.ssh.remoteDirectory
        let directory = "\(parent)/avps-ext-\(workspace.lastPathComponent.replacingOccurrences(of: "avps-", with: ""))"
        self.directory = directory
        let placeholders = ExternalPlaceholders(values: [
            "kernel": "\(directory)/kernel", "initrd": "\(directory)/initrd",
            "cmdline": ([boot.kernelCommandLine] + target.kernelAppend).joined(separator: " "),
            "workspace": directory, "name": target.name, "serial_log": "\(directory)/serial.log",
        ])
        // The reference guest's kernel and initramfs go over only when a command names them: a
        // vendor image brings its own among the `upload:` files.
        let commands = [spec.start, spec.stop ?? [], spec.reset ?? []].joined()
        let boots = [("kernel", boot.kernel), ("initrd", boot.initrd)].filter { name, _ in commands.contains { $0.contains("{\(name)}") } }
        uploads = boots.map { ($0.1, "\(directory)/\($0.0)") }
            + remote.uploads.sorted { $0.key < $1.key }.map { ($0.value, "\(directory)/\($0.key)") }
        let remoteStderr = "\(directory)/hypervisor-stderr.log"
        self.remoteStderr = remoteStderr
        downloads = [("\(directory)/serial.log", artifactDirectory.appendingPathComponent("serial.log").path),
                     (remoteStderr, artifactDirectory.appendingPathComponent("hypervisor-stderr.log").path)]
        start = placeholders.apply(spec.start)
        stop = spec.stop.map(placeholders.apply)
        reset = spec.reset.map(placeholders.apply)
        launchID = LaunchProcesses.newLaunchID()
        channel = switch spec.channel {
        case .unix(let path): .unix(path: placeholders.apply(path))
        case .hybridVsock(let path, let port): .hybridVsock(path: placeholders.apply(path), port: port)
        case .tcp: spec.channel
        }
    }

    /// The supervisor: the start command runs in the background with the launch's marker in its
    /// environment and its stderr in a file; the script prints its pid and, when it ends, its exit
    /// status. Our stdin is the control line: `TERM`/`KILL` signal every process of the launch
    /// (by marker, so daemons that left the group too); its end — avps done, or the connection
    /// dropped because avps died — sweeps them (TERM, then KILL). The script itself stays until
    /// then, so a daemonizing start command's guest is still covered.
    var script: String {
        let q = ShellQuoting.quote
        let program = start.first ?? "false"
        return """
            \(RemoteProcess.scriptPrologue(directory: directory, program: program))
            \(RemoteWorkspace.processSweep(launchID: launchID))
            \(LaunchProcesses.launchVariable)=\(q(launchID)) \(ShellQuoting.join(start)) </dev/null >/dev/null 2>\(q(remoteStderr)) 3<&- &
            pid=$!
            echo "\(Self.startedPrefix)$pid"
            ( while read -r signal <&3; do case "$signal" in TERM|KILL) sweep "$signal";; esac; done
              if sweep TERM; then sleep 2; sweep KILL; fi ) >/dev/null 2>&1 &
            guard=$!
            wait "$pid"; status=$?
            echo "\(Self.exitedPrefix)$status"
            wait "$guard"
            """
    }

    /// A remote one-off command (`stop`, `reset`) with the launch's marker, run from the directory, no
    /// shell interpretation of its arguments.
    func command(_ arguments: [String]) -> String {
        let q = ShellQuoting.quote
        return "exec /bin/sh -c " + q("cd \(q(directory)) && \(LaunchProcesses.launchVariable)=\(q(launchID)) exec \(ShellQuoting.join(arguments))")
    }
}
