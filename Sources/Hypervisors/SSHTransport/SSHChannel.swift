import CLibssh
import HypervisorCore

/// One SSH channel (`ssh_channel`): a remote command, or a stream forwarded to a Unix socket on
/// the remote host. All calls run on the owning connection's queue; `freed` is touched only there.
package final class SSHChannel: @unchecked Sendable {
    package let connection: SSHConnection
    /// What the channel is for, in messages ("remote QEMU", "agent socket /tmp/…/agent.sock").
    package let label: String
    private let pointer: OpaquePointer
    private var freed = false

    /// What one bounded wait for data produced.
    package enum Chunk: Sendable, Equatable {
        case data([UInt8])
        case nothingYet
        case endOfFile
    }

    private init(connection: SSHConnection, label: String, pointer: OpaquePointer) {
        self.connection = connection
        self.label = label
        self.pointer = pointer
    }

    /// Opens a session channel and starts `command` in the remote user's shell.
    package static func exec(_ command: String, label: String, on connection: SSHConnection) async throws(SSHError) -> SSHChannel {
        try await open(label: label, on: connection) { channel in
            guard ssh_channel_open_session(channel) == SSH_OK else { return "open a session channel" }
            guard ssh_channel_request_exec(channel, command) == SSH_OK else { return "run \(label)" }
            return nil
        }
    }

    /// Opens a `direct-streamlocal` channel: sshd connects to the Unix socket at `path` for us.
    package static func forwardUnix(_ path: String, on connection: SSHConnection) async throws(SSHError) -> SSHChannel {
        try await open(label: "remote socket \(path)", on: connection) { channel in
            ssh_channel_open_forward_unix(channel, path, "127.0.0.1", 0) == SSH_OK ? nil : "connect to remote socket \(path)"
        }
    }

    /// Opens a `direct-tcpip` channel: sshd connects to `host:port` as seen from the remote host.
    package static func forwardTCP(host: String, port: Int, on connection: SSHConnection) async throws(SSHError) -> SSHChannel {
        try await open(label: "remote endpoint \(host):\(port)", on: connection) { channel in
            ssh_channel_open_forward(channel, host, Int32(port), "127.0.0.1", 0) == SSH_OK
                ? nil : "connect to \(host):\(port) from the remote host"
        }
    }

    /// `setup` returns what failed, or nil.
    private static func open(label: String, on connection: SSHConnection,
                             _ setup: @escaping @Sendable (OpaquePointer) -> String?) async throws(SSHError) -> SSHChannel {
        try await connection.perform { session in
            guard let pointer = ssh_channel_new(session) else {
                return .failure(.channel(operation: "create a channel for \(label)", reason: connection.lastError()))
            }
            if let failed = setup(pointer) {
                let reason = connection.lastError()
                ssh_channel_free(pointer)
                return .failure(.channel(operation: failed, reason: reason))
            }
            return .success(SSHChannel(connection: connection, label: label, pointer: pointer))
        }
    }

    /// Waits up to `waitMilliseconds` for bytes on stdout (or stderr), then returns what is there.
    package func read(maxBytes: Int, stderr: Bool = false, waitMilliseconds: Int32) async throws(SSHError) -> Chunk {
        try await perform { channel in
            let stream: Int32 = stderr ? 1 : 0
            let available = ssh_channel_poll_timeout(channel, waitMilliseconds, stream)
            if available == SSH_EOF { return .success(.endOfFile) }
            if available == SSH_ERROR {
                return ssh_channel_is_open(channel) == 0 ? .success(.endOfFile) : .failure(self.failure("read from"))
            }
            guard available > 0 else { return .success(.nothingYet) }
            var buffer = [UInt8](repeating: 0, count: min(maxBytes, Int(available)))
            let count = buffer.withUnsafeMutableBytes {
                ssh_channel_read_nonblocking(channel, $0.baseAddress, UInt32($0.count), stream)
            }
            if count == SSH_EOF { return .success(.endOfFile) }
            guard count >= 0 else { return .failure(self.failure("read from")) }
            return .success(count == 0 ? .nothingYet : .data(Array(buffer.prefix(Int(count)))))
        }
    }

    /// Writes every byte (blocking on the queue while the peer's window is full).
    package func write(_ bytes: [UInt8]) async throws(SSHError) {
        try await perform { channel -> Result<Void, SSHError> in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes {
                    ssh_channel_write(channel, $0.baseAddress, UInt32($0.count))
                }
                guard written > 0 else { return .failure(self.failure("write to")) }
                offset += Int(written)
            }
            return .success(())
        }
    }

    /// Tells the remote side that no more input comes (its stdin reaches end of file).
    package func sendEOF() async {
        _ = try? await perform { channel in .success(ssh_channel_send_eof(channel)) }
    }

    /// The remote command's exit status once it has ended; nil when the server sent none.
    package func exitStatus() async -> Int32? {
        let status = try? await perform { channel in .success(ssh_channel_get_exit_status(channel)) }
        return status.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Closes and frees the channel. Idempotent; harmless after the connection was closed.
    package func close() async {
        _ = try? await perform { channel in
            self.release(channel)
            return .success(())
        }
    }

    /// Schedules `close` without waiting, for synchronous callers (`ByteStream.close`).
    package func closeSoon() {
        connection.queue.async {
            guard !self.freed, !self.connection.freed else { return }
            self.release(self.pointer)
        }
    }

    private func release(_ channel: OpaquePointer) {
        freed = true
        if ssh_channel_is_closed(channel) == 0 { ssh_channel_close(channel) }
        ssh_channel_free(channel)
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) -> Result<T, SSHError>) async throws(SSHError) -> T {
        try await connection.perform { _ in
            guard !self.freed else { return .failure(.closed("\(self.label) already closed")) }
            return body(self.pointer)
        }
    }

    /// Call on the queue, right after the failing libssh call.
    private func failure(_ verb: String) -> SSHError {
        .channel(operation: "\(verb) \(label)", reason: connection.lastError())
    }
}
