import AVPSModel
import HypervisorCore
import QEMUHypervisor
import SSHTransport

/// Everything a remote launch does on the other host, decided before connecting (pure, so
/// `--plan` shows it): the private directory, what is uploaded where, and the supervisor script
/// that runs QEMU there.
public struct SSHRemotePlan: Sendable, Equatable {
    /// The launch's private directory on the remote host (created with mode 0700, removed at the end).
    public var directory: String
    public var uploads: [Transfer]
    /// Remote logs copied back into the run's artifacts at the end.
    public var downloads: [Transfer]
    public var agentSocket: String
    public var qmpSocket: String
    /// The QEMU command line as it runs remotely (binary first).
    public var qemuCommand: [String]
    /// Shell script run through the SSH channel: prepares disks, starts QEMU and supervises it.
    public var script: String

    public struct Transfer: Sendable, Equatable {
        public var local: String
        public var remote: String
    }

    /// Lines the script prints on stdout.
    static let startedPrefix = "avps-qemu-pid "
    static let exitedPrefix = "avps-qemu-exit "

    /// The supervisor. QEMU runs in the background with its stderr in a file; the script prints
    /// its pid, waits for it, and prints its exit status. Our stdin is the control line: `TERM` or
    /// `KILL` signals QEMU, and its end — avps closing the channel, or the connection dropping
    /// because avps died — kills QEMU. SIGPIPE is ignored: once avps is gone, nobody reads stdout.
    static func script(directory: String, qemu: [String], setup: [String]) -> String {
        let binary = qemu.first ?? "qemu-system-x86_64"
        return """
            \(RemoteProcess.scriptPrologue(directory: directory, program: binary))
            \(setup.map { $0 + " || exit 125" }.joined(separator: "\n"))
            \(ShellQuoting.join(qemu)) </dev/null >/dev/null 2>qemu-stderr.log 3<&- &
            pid=$!
            echo "\(startedPrefix)$pid"
            ( while read -r signal <&3; do case "$signal" in TERM|KILL) kill -"$signal" "$pid";; esac; done
              kill -TERM "$pid"; sleep 2; kill -KILL "$pid" ) >/dev/null 2>&1 &
            guard=$!
            wait "$pid"; status=$?
            kill "$guard" 2>/dev/null
            echo "\(exitedPrefix)$status"
            """
    }

    /// Shell commands that create what the devices need before QEMU opens it: 9p share
    /// directories and sparse disk and pmem images (same paths as `QEMUCommandLine` uses).
    static func setupCommands(_ target: TargetSpec, paths: QEMUCommandLine.Paths) -> [String] {
        let shares = target.devices.enumerated().compactMap { index, device in
            if case .ninep = device { return "mkdir -p \(ShellQuoting.quote(QEMUCommandLine.sharePath(index, paths)))" }
            return nil
        }
        return shares + QEMUCommandLine.backingFiles(target, paths).map { "truncate -s \($0.sizeMiB)M \(ShellQuoting.quote($0.path))" }
    }
}
