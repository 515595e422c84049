/// Where and how the `ssh` adapter reaches the host that runs the hypervisor (suite key `ssh:`).
///
/// The host key is always verified against `knownHosts`; a key that is not there is refused
/// unless `acceptNewHostKey` is set, and a key that differs from the recorded one is always refused.
public struct SSHSpec: Sendable, Equatable, Codable {
    public var host: String
    public var port: Int
    /// Login name on the remote host; nil means the local user's name.
    public var user: String?
    /// Private key file; nil means the SSH agent (`SSH_AUTH_SOCK`) and the default keys in ~/.ssh.
    public var identity: String?
    /// known_hosts file to verify against; nil means ~/.ssh/known_hosts.
    public var knownHosts: String?
    /// Record an unknown host key instead of refusing it (like OpenSSH's `accept-new`).
    public var acceptNewHostKey: Bool
    /// The QEMU binary on the remote host (a name looked up on its PATH, or a path).
    public var qemu: String
    /// Directory on the remote host under which the launch's private directory is made.
    public var remoteDirectory: String
    /// Seconds to wait for the TCP connection and the server's greeting.
    public var connectTimeoutSeconds: Int

    public init(host: String, port: Int = 22, user: String? = nil, identity: String? = nil,
                knownHosts: String? = nil, acceptNewHostKey: Bool = false, qemu: String = "qemu-system-x86_64",
                remoteDirectory: String = "/tmp", connectTimeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.user = user
        self.identity = identity
        self.knownHosts = knownHosts
        self.acceptNewHostKey = acceptNewHostKey
        self.qemu = qemu
        self.remoteDirectory = remoteDirectory
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }
}
