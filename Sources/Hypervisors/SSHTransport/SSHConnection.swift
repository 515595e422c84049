import AVPSModel
import CLibssh
import Dispatch
import Foundation
import HypervisorCore

/// One authenticated SSH connection (`ssh_session`), usable from any task.
///
/// A libssh session and its channels must not be used from two threads at once, and every call
/// blocks (connect, channel open, SFTP round trips). So each call runs on this connection's serial
/// Dispatch queue, never on Swift's cooperative pool; reads wait in short slices so that a pending
/// read never holds the queue for long. `freed` and the channels' own flags are touched only on
/// that queue.
package final class SSHConnection: @unchecked Sendable {
    /// `user@host:port`, for messages.
    package let endpoint: String
    package let queue: DispatchQueue
    private let session: OpaquePointer
    private(set) var freed = false

    private init(endpoint: String, session: OpaquePointer, queue: DispatchQueue) {
        self.endpoint = endpoint
        self.session = session
        self.queue = queue
    }

    /// Connects, verifies the host key against known_hosts and authenticates; each failure is named.
    package static func open(_ spec: SSHSpec) async throws(SSHError) -> SSHConnection {
        let login = spec.user ?? SSHPaths.localUserName
        let endpoint = SSHPaths.endpoint(spec)
        let queue = DispatchQueue(label: "avps.ssh")
        return try await BlockingCall.run(on: queue) { () -> Result<SSHConnection, SSHError> in
            guard let session = ssh_new() else { return .failure(.connect(endpoint: endpoint, reason: "ssh_new failed")) }
            let connection = SSHConnection(endpoint: endpoint, session: session, queue: queue)
            let result = connection.establish(spec, login: login)
            if case .failure = result { connection.free() }
            return result.map { connection }
        }
    }

    /// Runs `body` with the session on the queue; fails with `.closed` once the session is freed.
    package func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) -> Result<T, SSHError>) async throws(SSHError) -> T {
        try await BlockingCall.run(on: queue) { () -> Result<T, SSHError> in
            guard !self.freed else { return .failure(.closed("session already closed")) }
            return body(self.session)
        }
    }

    /// Disconnects and frees the session (and with it every channel libssh still holds). Idempotent.
    package func close() async {
        _ = try? await BlockingCall.run(on: queue) { () -> Result<Void, SSHError> in
            self.free()
            return .success(())
        }
    }

    /// libssh's message for the last failure on this session. Call on the queue.
    package func lastError() -> String {
        guard let text = ssh_get_error(UnsafeMutableRawPointer(session)) else { return "unknown error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown error" : message
    }

    private func establish(_ spec: SSHSpec, login: String) -> Result<Void, SSHError> {
        var port = Int32(spec.port)
        var timeout = spec.connectTimeoutSeconds
        var strict: Int32 = 1  // libssh 0.10 answers OK for unknown hosts when this is 0
        var processConfig = false  // never read ~/.ssh/config: the target file says everything
        var noDelay: Int32 = 1  // SFTP is request/response: Nagle plus delayed ACKs cost ~40 ms per chunk
        let knownHosts = SSHPaths.expand(spec.knownHosts ?? "~/.ssh/known_hosts")
        var status = ssh_options_set(session, SSH_OPTIONS_HOST, spec.host)
        status |= ssh_options_set(session, SSH_OPTIONS_PORT, &port)
        status |= ssh_options_set(session, SSH_OPTIONS_USER, login)
        status |= ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
        status |= ssh_options_set(session, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict)
        status |= ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
        status |= ssh_options_set(session, SSH_OPTIONS_NODELAY, &noDelay)
        status |= ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, knownHosts)
        if spec.knownHosts != nil {  // an explicit file is the only source of trust
            status |= ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
        }
        guard status == SSH_OK else { return .failure(.connect(endpoint: endpoint, reason: "invalid options: \(lastError())")) }
        guard ssh_connect(session) == SSH_OK else { return .failure(.connect(endpoint: endpoint, reason: lastError())) }
        let hostPort = spec.port == 22 ? spec.host : "[\(spec.host)]:\(spec.port)"
        if case .failure(let error) = SSHHostKey.verify(session, connection: self, endpoint: hostPort,
                                                         knownHosts: knownHosts, acceptNew: spec.acceptNewHostKey) {
            return .failure(error)
        }
        return SSHAuthentication.authenticate(session, connection: self, login: endpoint,
                                              identity: spec.identity.map(SSHPaths.expand))
    }

    private func free() {
        guard !freed else { return }
        freed = true
        ssh_disconnect(session)
        ssh_free(session)
    }
}

/// `~` expansion and the local login name, for paths and defaults in target files.
package enum SSHPaths {
    package static func expand(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return FileManager.default.homeDirectoryForCurrentUser.path + path.dropFirst()
    }

    /// `user@host:port`, the endpoint recorded in command lines and named in messages.
    package static func endpoint(_ spec: SSHSpec) -> String {
        "\(spec.user ?? localUserName)@\(spec.host):\(spec.port)"
    }

    package static var localUserName: String {
        ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    }
}
