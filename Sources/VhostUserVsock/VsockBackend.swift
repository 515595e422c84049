import CVhostShim
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// One VM of a backend: the vhost-user socket its QEMU connects to, the hybrid-vsock socket the
/// host side uses for it, and its CID.
public struct VsockVM: Sendable, Equatable {
    public var socketPath: String
    public var udsPath: String
    public var guestCID: UInt64

    public init(socketPath: String, udsPath: String, guestCID: UInt64 = 3) {
        self.socketPath = socketPath
        self.udsPath = udsPath
        self.guestCID = guestCID
    }
}

/// How to run one backend: the VMs it serves (one, or several that reach each other by CID;
/// a single VM has a backend of its own, so every such VM may use CID 3).
public struct VsockBackendConfiguration: Sendable {
    public var vms: [VsockVM]
    public var verbose: Bool
    /// Milliseconds every delivery to a guest (sibling packets, host input) is held: only the
    /// negative control of the round-trip requirements sets it (`IsolationFaults.slowVsock`).
    public var deliveryDelayMilliseconds = 0

    public init(socketPath: String, udsPath: String, guestCID: UInt64 = 3, verbose: Bool = false) {
        self.init(vms: [VsockVM(socketPath: socketPath, udsPath: udsPath, guestCID: guestCID)], verbose: verbose)
    }

    public init(vms: [VsockVM], verbose: Bool = false) {
        self.vms = vms
        self.verbose = verbose
    }

    /// Refuses what cannot be served: no VM, a CID out of range or used twice, a socket path used twice.
    func validate() throws(VhostUserError) {
        guard !vms.isEmpty else { throw .configuration("no VM to serve") }
        var cids = Set<UInt64>(), paths = Set<String>()
        for vm in vms {
            guard vm.guestCID > 2, vm.guestCID < UInt64(UInt32.max) else {
                throw .configuration("guest CID must be 3...4294967294 (got \(vm.guestCID))")
            }
            guard cids.insert(vm.guestCID).inserted else { throw .configuration("CID \(vm.guestCID) is given to two VMs") }
            for path in [vm.socketPath, vm.udsPath] {
                guard paths.insert(path).inserted else { throw .configuration("socket path \(path) is given twice") }
            }
        }
    }
}

/// A vhost-user-vsock device backend (what rust-vmm's vhost-device-vsock does), in one thread.
///
/// `run()` blocks in a poll loop, so call it from a dedicated thread, never from Swift's
/// cooperative pool. It serves every configured VM (guest-to-guest between their CIDs, see
/// `SiblingRouter`) and returns when every VM's frontend has come and hung up, or `stop()` is
/// called; all sockets are removed on the way out.
public final class VsockBackend: Sendable {
    public let configuration: VsockBackendConfiguration
    private let wakeFD: Int32
    let log: BackendLog

    public init(_ configuration: VsockBackendConfiguration) throws(VhostUserError) {
        try configuration.validate()
        self.configuration = configuration
        self.log = BackendLog(verbose: configuration.verbose)
        wakeFD = avps_eventfd()
        guard wakeFD >= 0 else { throw .io(operation: "eventfd", errno: errno) }
    }

    deinit { close(wakeFD) }

    /// Makes `run()` return soon (safe from any thread, including a signal source).
    public func stop() { _ = avps_eventfd_signal(wakeFD) }

    /// The last diagnostics (malformed messages or chains), newest last.
    public var recentDiagnostics: [String] { log.recent }

    /// Runs `run()` on a Dispatch thread of its own (off Swift's cooperative pool) and returns
    /// when it ends.
    public func serve() async throws(VhostUserError) {
        let outcome: Result<Void, VhostUserError> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "avps.vsockd").async {
                do throws(VhostUserError) {
                    try self.run()
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        try outcome.get()
    }

    /// Listens on every VM's sockets and serves until every frontend hung up or `stop()` is called.
    /// A vhost-user socket appears under its final name only once it accepts connections.
    public func run() throws(VhostUserError) {
        let router = SiblingRouter(log: log, delay: UInt64(configuration.deliveryDelayMilliseconds) * 1_000_000)
        var slots: [VMSlot] = []
        defer { for slot in slots { slot.close() } }
        for vm in configuration.vms { slots.append(try VMSlot(vm: vm, router: router, log: log)) }
        var loop = EventLoop(slots: slots, router: router, wakeFD: wakeFD, log: log)
        try loop.run()
    }
}

/// The host kernel's vhost-vsock, for hosts that have `/dev/vhost-vsock`.
public enum KernelVsock {
    /// 0 when `cid` is free right now, else the errno (EADDRINUSE: another VM holds it).
    public static func probeCID(_ cid: UInt64) -> Int32 { avps_vhost_vsock_probe_cid(cid) }

    /// A connected AF_VSOCK stream socket to `cid:port`, or the errno.
    public static func connect(cid: UInt32, port: UInt32) -> Result<Int32, VhostUserError> {
        let fd = avps_vsock_connect(cid, port)
        return fd >= 0 ? .success(fd) : .failure(.io(operation: "vsock connect \(cid):\(port)", errno: errno))
    }
}

extension VsockVM {
    /// Parses `cid=N,socket=PATH,uds=PATH` (rust-vmm's `guest-cid` and `uds-path` are accepted
    /// too); `uds` may come from `defaultUDS` instead. Errors name the offending key.
    public static func parse(_ spec: String, defaultUDS: String? = nil) throws(VhostUserError) -> VsockVM {
        var cid: UInt64?, socket: String?, uds = defaultUDS
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[1].isEmpty else { throw .configuration("--vm \(spec): '\(item)' is not key=value") }
            let value = String(parts[1])
            switch parts[0] {
            case "cid", "guest-cid":
                guard let number = UInt64(value) else { throw .configuration("--vm \(spec): cid '\(value)' is not a number") }
                cid = number
            case "socket": socket = value
            case "uds", "uds-path": uds = value
            default: throw .configuration("--vm \(spec): unknown key '\(parts[0])' (cid, socket, uds)")
            }
        }
        guard let cid else { throw .configuration("--vm \(spec): cid= is missing") }
        guard let socket else { throw .configuration("--vm \(spec): socket= is missing") }
        guard let uds else { throw .configuration("--vm \(spec): uds= is missing (or give --uds for a single VM)") }
        return VsockVM(socketPath: socket, udsPath: uds, guestCID: cid)
    }
}
