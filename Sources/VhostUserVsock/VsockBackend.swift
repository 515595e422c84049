import CVhostShim
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// How to run one backend: the vhost-user socket QEMU connects to, the hybrid-vsock socket the
/// host side uses, and the guest's CID (each VM has its own backend, so every VM may use CID 3).
public struct VsockBackendConfiguration: Sendable {
    public var socketPath: String
    public var udsPath: String
    public var guestCID: UInt64
    public var verbose: Bool

    public init(socketPath: String, udsPath: String, guestCID: UInt64 = 3, verbose: Bool = false) {
        self.socketPath = socketPath
        self.udsPath = udsPath
        self.guestCID = guestCID
        self.verbose = verbose
    }
}

/// A vhost-user-vsock device backend (what rust-vmm's vhost-device-vsock does), in one thread.
///
/// `run()` blocks in a poll loop, so call it from a dedicated thread, never from Swift's
/// cooperative pool. It serves one frontend connection and returns when that frontend hangs up
/// or `stop()` is called; both sockets are removed on the way out.
public final class VsockBackend: Sendable {
    public let configuration: VsockBackendConfiguration
    private let wakeFD: Int32
    let log: BackendLog

    public init(_ configuration: VsockBackendConfiguration) throws(VhostUserError) {
        guard configuration.guestCID > 2, configuration.guestCID < UInt64(UInt32.max) else {
            throw .configuration("guest CID must be 3...4294967294 (got \(configuration.guestCID))")
        }
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

    /// Listens on both sockets, serves the frontend until it hangs up or `stop()` is called.
    /// The vhost-user socket appears under its final name only once it accepts connections.
    public func run() throws(VhostUserError) {
        let listener = try UnixSocket.listen(path: configuration.socketPath)
        let hybrid = HybridEndpoints(path: configuration.udsPath)
        let udsListener: Int32
        do { udsListener = try hybrid.listen() } catch { close(listener); throw error }
        defer {
            close(listener); close(udsListener)
            unlink(configuration.socketPath); unlink(configuration.udsPath)
        }
        let device = VsockDevice(guestCID: configuration.guestCID, hybrid: hybrid, log: log)
        var loop = EventLoop(server: VhostUserServer(device: device, log: log), wakeFD: wakeFD,
                             listener: listener, udsListener: udsListener, log: log)
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
