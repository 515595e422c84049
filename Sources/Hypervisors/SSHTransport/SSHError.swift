import Foundation
import HypervisorCore

/// The SSH layer's one error, worded for the person who configured the target. The adapter maps it
/// to `HypervisorError` at its boundary (`hypervisorError`), so callers see one error type per layer.
public enum SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    /// TCP connection or SSH handshake failed (refused, unreachable, timeout, no common algorithm).
    case connect(endpoint: String, reason: String)
    /// The server's key is not in known_hosts and accepting new keys was not asked for.
    case unknownHostKey(endpoint: String, fingerprint: String, knownHosts: String)
    /// The server's key differs from the one recorded: possibly a man-in-the-middle. Never accepted.
    case hostKeyMismatch(endpoint: String, fingerprint: String, knownHosts: String)
    /// known_hosts could not be read or written.
    case knownHosts(path: String, reason: String)
    /// The server did not accept any of our credentials.
    case authentication(login: String, tried: String, serverAccepts: String)
    /// A channel could not be opened or used (exec, Unix-socket forwarding, SFTP subsystem).
    case channel(operation: String, reason: String)
    /// An SFTP transfer or directory operation failed.
    case sftp(operation: String, path: String, reason: String)
    /// A remote command ended with a non-zero status; `stderrTail` holds its last stderr lines.
    case remoteCommand(command: String, status: Int32, stderrTail: String)
    case timeout(waitingFor: String, seconds: Double)
    /// The session or channel was closed (by us, the server, or a dropped connection).
    case closed(String)

    public var description: String {
        switch self {
        case .connect(let endpoint, let reason):
            "ssh: cannot connect to \(endpoint): \(reason)"
        case .unknownHostKey(let endpoint, let fingerprint, let knownHosts):
            "ssh: unknown host key for \(endpoint) (\(fingerprint)), not in \(knownHosts); verify the fingerprint and "
                + "add the key there, or set `accept_new_host_key: true` on the target to record it"
        case .hostKeyMismatch(let endpoint, let fingerprint, let knownHosts):
            "ssh: HOST KEY MISMATCH for \(endpoint): the server presented \(fingerprint), which differs from the key "
                + "recorded in \(knownHosts) (a reinstalled host, or someone intercepting the connection); refused"
        case .knownHosts(let path, let reason):
            "ssh: known_hosts \(path): \(reason)"
        case .authentication(let login, let tried, let serverAccepts):
            "ssh: authentication failed for \(login) with \(tried)" + (serverAccepts.isEmpty ? "" : " (the server accepts: \(serverAccepts))")
        case .channel(let operation, let reason):
            "ssh: cannot \(operation): \(reason)"
        case .sftp(let operation, let path, let reason):
            "ssh: SFTP \(operation) \(path) failed: \(reason)"
        case .remoteCommand(let command, let status, let stderrTail):
            "ssh: remote command `\(command)` exited with status \(status)" + (stderrTail.isEmpty ? "" : ": \(stderrTail)")
        case .timeout(let what, let seconds):
            "ssh: timed out after \(String(format: "%.1f", seconds)) s waiting for \(what)"
        case .closed(let what):
            "ssh: connection closed (\(what))"
        }
    }

    /// Every SSH failure stops a remote launch before or while the guest runs: infrastructure trouble.
    package var hypervisorError: HypervisorError { .launchFailed(description) }
}
