import CLibssh
import Foundation
import HypervisorCore

/// SFTP over an SSH connection: the remote launch directory, uploads of the boot artifacts and
/// disk images (sparse-aware, `SFTPUpload`) and downloads of the logs. Each batch opens its own SFTP session on the connection's queue and frees
/// it before returning, so no SFTP handle outlives the batch (or the connection).
package enum SFTPTransfer {
    /// Chunk size of one SFTP write or read request (OpenSSH's sftp-server accepts up to 256 KiB).
    package static let chunk = 64 * 1024

    package enum Step: Sendable {
        /// Creates a directory only we may enter; fails if it exists (never reuse a stranger's).
        case makeDirectory(remote: String)
        case upload(local: String, remote: String)
        /// Copies a remote file to a local one; a missing remote file leaves the local one alone.
        case download(remote: String, local: String)
    }

    /// Runs the steps in order; returns what the uploads among them carried.
    @discardableResult
    package static func run(_ steps: [Step], on connection: SSHConnection) async throws(SSHError) -> UploadTally {
        try await connection.perform { session -> Result<UploadTally, SSHError> in
            guard let sftp = sftp_new(session) else {
                return .failure(.channel(operation: "open the SFTP subsystem", reason: connection.lastError()))
            }
            defer { sftp_free(sftp) }
            guard sftp_init(sftp) == SSH_OK else {
                return .failure(.channel(operation: "start SFTP (is the sftp subsystem enabled in sshd_config?)",
                                         reason: connection.lastError()))
            }
            var tally = UploadTally()
            for step in steps {
                switch perform(step, sftp: sftp, connection: connection) {
                case .success(let carried): tally = tally + carried
                case .failure(let error): return .failure(error)
                }
            }
            return .success(tally)
        }
    }

    private static func perform(_ step: Step, sftp: sftp_session, connection: SSHConnection) -> Result<UploadTally, SSHError> {
        switch step {
        case .makeDirectory(let remote):
            guard sftp_mkdir(sftp, remote, 0o700) == SSH_OK else {
                return .failure(.sftp(operation: "mkdir", path: remote, reason: reason(sftp, connection)))
            }
            return .success(UploadTally())
        case .upload(let local, let remote):
            return SFTPUpload(local: local, remote: remote, chunk: chunk).run(sftp: sftp) { reason(sftp, connection) }
        case .download(let remote, let local):
            return download(remote, to: local, sftp: sftp, connection: connection).map { UploadTally() }
        }
    }

    private static func download(_ remote: String, to local: String, sftp: sftp_session,
                                 connection: SSHConnection) -> Result<Void, SSHError> {
        guard let file = sftp_open(sftp, remote, O_RDONLY, 0) else {
            if sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE { return .success(()) }
            return .failure(.sftp(operation: "open", path: remote, reason: reason(sftp, connection)))
        }
        defer { sftp_close(file) }
        // Only the tail of a remote log: a console the remote guest filled is not carried whole.
        var contents = Data()
        if let attributes = sftp_fstat(file) {
            let size = attributes.pointee.size
            sftp_attributes_free(attributes)
            if size > UInt64(FileTail.copyLimit) {
                contents = FileTail.cutNote(size: size, kept: FileTail.copyLimit)
                guard sftp_seek64(file, size - UInt64(FileTail.copyLimit)) == 0 else {
                    return .failure(.sftp(operation: "seek", path: remote, reason: reason(sftp, connection)))
                }
            }
        }
        let limit = contents.count + FileTail.copyLimit
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = buffer.withUnsafeMutableBytes { sftp_read(file, $0.baseAddress, $0.count) }
            guard count >= 0 else { return .failure(.sftp(operation: "read", path: remote, reason: reason(sftp, connection))) }
            if count == 0 { break }
            contents.append(contentsOf: buffer.prefix(min(count, limit - contents.count)))
            if contents.count >= limit { break }  // the file grew while it was read
        }
        do {
            try contents.write(to: URL(fileURLWithPath: local))
            return .success(())
        } catch {
            return .failure(.sftp(operation: "save", path: local, reason: "\(error)"))
        }
    }

    /// The SFTP status in words (libssh's session error is often empty for SFTP failures).
    private static func reason(_ sftp: sftp_session, _ connection: SSHConnection) -> String {
        switch sftp_get_error(sftp) {
        case SSH_FX_NO_SUCH_FILE, SSH_FX_NO_SUCH_PATH: "no such file or directory"
        case SSH_FX_PERMISSION_DENIED: "permission denied"
        case SSH_FX_FILE_ALREADY_EXISTS: "already exists"
        case SSH_FX_FAILURE: "failure (already exists, or the disk is full)"
        case SSH_FX_CONNECTION_LOST, SSH_FX_NO_CONNECTION: "connection lost"
        default: connection.lastError()
        }
    }
}
