/// Where an external hypervisor makes the agent's byte stream appear.
public enum ExternalChannel: Sendable, Equatable, Codable {
    /// A Unix stream socket the hypervisor creates (e.g. a virtio-serial chardev).
    case unix(path: String)
    /// A TCP endpoint (e.g. forwarded user networking).
    case tcp(host: String, port: Int)
    /// A hybrid-vsock Unix socket (Firecracker, Cloud Hypervisor, `avps vsockd`): `CONNECT port`.
    case hybridVsock(path: String, port: Int)
}

/// The contract for a vendor hypervisor driven by commands (Xen `xl`, crosvm, Cloud Hypervisor,
/// Firecracker, ACRN, commercial ones): shell-free argument lists and where the agent appears.
///
/// Arguments may use placeholders, replaced before anything runs: `{kernel}`, `{initrd}`,
/// `{cmdline}`, `{workspace}` (a private temporary directory), `{serial_log}`, `{name}` (also in
/// `console_ports` paths), and in `stop`/`reset` also `{pid}` of the start command. With `remote`,
/// every path is on the remote host. A VM of a system also gets `{linkN_port}`, `{linkN_peer_port}`,
/// `{linkN_mcast}`, `{linkN_mac}` and `{linkN_address}` for each network link N it is on
/// (ExternalLinks, docs/adapters.md).
public struct ExternalSpec: Sendable, Equatable, Codable {
    /// Starts the guest. Either it keeps running as the hypervisor process (stopped with SIGTERM,
    /// then SIGKILL, when `stop` is absent), or it returns at once after daemonizing (then `stop`
    /// is required).
    public var start: [String]
    public var stop: [String]?
    public var reset: [String]?
    public var channel: ExternalChannel
    /// Console data ports the platform gives the guest, by port name, with the host-side Unix
    /// socket of each (placeholders allowed): avps reads what the guest writes there, so the
    /// console transfer requirement is decided on the host, as on the qemu adapter.
    public var consolePorts: [String: String]?
    /// Files on this host that the hypervisor serves to the guest (suite `host_files`), so avps
    /// can check on its own side what the probes wrote; placeholders as in `start`.
    public var hostFiles: ExternalHostFiles?
    /// Run the commands on another host over SSH instead of here; nil runs them locally.
    public var remote: ExternalRemote?

    public init(start: [String], stop: [String]? = nil, reset: [String]? = nil, channel: ExternalChannel,
                consolePorts: [String: String]? = nil, hostFiles: ExternalHostFiles? = nil, remote: ExternalRemote? = nil) {
        self.start = start
        self.stop = stop
        self.reset = reset
        self.channel = channel
        self.consolePorts = consolePorts
        self.hostFiles = hostFiles
        self.remote = remote
    }
}

/// `external.host_files`: `{block: [raw images], 9p: [shared directories], pmem: [backing files]}`,
/// every one on the machine avps runs on. A declared file is the platform's word about where the
/// guest's data lands; avps reads it only after the guest wrote, and never writes to it.
public struct ExternalHostFiles: Sendable, Equatable, Codable {
    public var block: [String]
    public var ninep: [String]
    public var pmem: [String]

    public init(block: [String] = [], ninep: [String] = [], pmem: [String] = []) {
        self.block = block
        self.ninep = ninep
        self.pmem = pmem
    }
}

/// Where a remote external target's commands run (suite key `external.remote`): the SSH
/// connection, with the `ssh` adapter's host-key and key rules, and the local files uploaded into
/// the launch's private remote directory. There `{workspace}` is that directory, `{kernel}` and
/// `{initrd}` are the uploaded copies, and the agent's channel is forwarded back over the
/// connection.
public struct ExternalRemote: Sendable, Equatable, Codable {
    public var ssh: SSHSpec
    /// Local files (disk images, firmware) uploaded into `{workspace}`, by the name they get there.
    public var uploads: [String: String]

    public init(ssh: SSHSpec, uploads: [String: String] = [:]) {
        self.ssh = ssh
        self.uploads = uploads
    }

    /// Names in the remote directory that avps itself writes; an upload may not take them.
    public static let reservedNames: Set<String> = ["kernel", "initrd", "serial.log", "hypervisor-stderr.log"]
}
