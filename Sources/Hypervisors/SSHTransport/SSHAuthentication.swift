import CLibssh
import Foundation
import HypervisorCore

/// Public-key authentication: the target's key file when it names one, otherwise the SSH agent
/// (`SSH_AUTH_SOCK`) and the default keys in ~/.ssh. Passwords are deliberately not supported:
/// unattended runs must not hold them.
package enum SSHAuthentication {
    /// Runs on the connection's queue, after the host key was verified.
    package static func authenticate(_ session: OpaquePointer, connection: SSHConnection, login: String,
                             identity: String?) -> Result<Void, SSHError> {
        let status: Int32
        let tried: String
        if let identity {
            var key: OpaquePointer?
            guard ssh_pki_import_privkey_file(identity, nil, nil, nil, &key) == SSH_OK, let key else {
                let reason = FileManager.default.isReadableFile(atPath: identity)
                    ? "not a private key libssh can read without a passphrase (use the SSH agent for protected keys)"
                    : "no such readable file"
                return .failure(.authentication(login: login, tried: "identity \(identity)", serverAccepts: reason))
            }
            defer { ssh_key_free(key) }
            status = ssh_userauth_publickey(session, nil, key)
            tried = "identity \(identity)"
        } else {
            status = ssh_userauth_publickey_auto(session, nil, nil)
            let agent = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"].map { "the SSH agent at \($0)" }
                ?? "no SSH agent (SSH_AUTH_SOCK unset)"
            tried = "\(agent) and the default keys in ~/.ssh (set `identity:` to name a key file)"
        }
        guard status != SSH_AUTH_SUCCESS.rawValue else { return .success(()) }
        if status == SSH_AUTH_ERROR.rawValue {
            return .failure(.authentication(login: login, tried: tried, serverAccepts: connection.lastError()))
        }
        return .failure(.authentication(login: login, tried: tried, serverAccepts: methods(session)))
    }

    /// The methods the server still offers, e.g. "publickey, password".
    private static func methods(_ session: OpaquePointer) -> String {
        let mask = UInt32(bitPattern: ssh_userauth_list(session, nil))
        let names: [(UInt32, String)] = [(SSH_AUTH_METHOD_PUBLICKEY, "publickey"), (SSH_AUTH_METHOD_PASSWORD, "password"),
                                        (SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"),
                                        (SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi")]
        return names.filter { mask & $0.0 != 0 }.map(\.1).joined(separator: ", ")
    }
}
