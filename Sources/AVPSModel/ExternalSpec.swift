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
/// `console_ports` paths), and in
/// `stop`/`reset` also `{pid}` of the start command.
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

    public init(start: [String], stop: [String]? = nil, reset: [String]? = nil, channel: ExternalChannel,
                consolePorts: [String: String]? = nil) {
        self.start = start
        self.stop = stop
        self.reset = reset
        self.channel = channel
        self.consolePorts = consolePorts
    }
}
