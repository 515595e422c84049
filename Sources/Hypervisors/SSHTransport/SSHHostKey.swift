import CLibssh
import HypervisorCore

/// Host-key verification against a known_hosts file, the way OpenSSH's `StrictHostKeyChecking`
/// does it: a recorded key that matches passes; a different key is always refused; an unknown
/// key is refused unless the target explicitly asks to record new keys (`accept-new`).
package enum SSHHostKey {
    /// Runs on the connection's queue, right after `ssh_connect`.
    /// - Parameter endpoint: `host` or `[host]:port`, as known_hosts spells it.
    package static func verify(_ session: OpaquePointer, connection: SSHConnection, endpoint: String,
                       knownHosts: String, acceptNew: Bool) -> Result<Void, SSHError> {
        let state = ssh_session_is_known_server(session)
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            return .success(())
        case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
            return .failure(.hostKeyMismatch(endpoint: endpoint, fingerprint: fingerprint(session), knownHosts: knownHosts))
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            guard acceptNew else {
                return .failure(.unknownHostKey(endpoint: endpoint, fingerprint: fingerprint(session), knownHosts: knownHosts))
            }
            guard ssh_session_update_known_hosts(session) == SSH_OK else {
                return .failure(.knownHosts(path: knownHosts, reason: "cannot record the new key: \(connection.lastError())"))
            }
            return .success(())
        default:
            return .failure(.knownHosts(path: knownHosts, reason: connection.lastError()))
        }
    }

    /// "ssh-ed25519 SHA256:…", as `ssh-keygen -l` prints it, for the user to compare.
    package static func fingerprint(_ session: OpaquePointer) -> String {
        var key: OpaquePointer?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return "no server key" }
        defer { ssh_key_free(key) }
        let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? "key"
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, let digest = hash else {
            return type
        }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, digest, length) else { return type }
        defer { ssh_string_free_char(text) }
        return "\(type) \(String(cString: text))"
    }
}
