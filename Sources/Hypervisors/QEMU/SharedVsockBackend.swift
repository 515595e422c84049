import AVPSModel
import Foundation
import HypervisorCore
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// One VM of a shared vsock backend: its CID in the system's vsock namespace (the host stays CID 2)
/// and its two sockets (vhost-user for QEMU, hybrid vsock for the host).
public struct SharedVsockMember: Sendable, Equatable {
    public var cid: UInt32
    public var socket: String
    public var uds: String

    public init(cid: UInt32, socket: String, uds: String) {
        self.cid = cid
        self.socket = socket
        self.uds = uds
    }

    /// `--vm` of `avps vsockd`.
    var specification: String { "cid=\(cid),socket=\(socket),uds=\(uds)" }
}

/// One `avps vsockd` serving several VMs of a system, so their guests reach each other by CID
/// (guest-to-guest vsock, `links: vsock`).
///
/// While it runs, a launch whose vhost-user socket it serves uses it instead of starting a backend
/// of its own (`VsockBackendProcess.withBackend` looks it up here) and is still supervised by it:
/// a backend that dies takes every guest of the system to INFRA. Its QEMU keeps a process group
/// of its own, so one VM's teardown never kills a sibling through the backend's group; the
/// backend's group has an orphan guard of its own.
public enum SharedVsockBackend {
    /// Backends running now, by the vhost-user socket paths they serve.
    private static let running = Mutex<[String: VsockBackendHandle]>([:])

    static func handle(serving socket: String) -> VsockBackendHandle? { running.withLock { $0[socket] } }

    /// Where VM `index` of a system meets the shared backend: both sockets in the system's shared
    /// directory, named by position (short, whatever the VM is called), CID `3 + index`.
    public static func member(index: Int, sharedDirectory: String) -> SharedVsockMember {
        SharedVsockMember(cid: SystemMembership.vsockCID(index: index), socket: "\(sharedDirectory)/vsock\(index).vu",
                          uds: "\(sharedDirectory)/vsock\(index).sock")
    }

    /// The shared-backend seat of a system's VM that takes part in a vsock link; nil otherwise
    /// (a single guest, a VM outside every vsock link, a membership without its shared directory).
    public static func member(of target: TargetSpec) -> SharedVsockMember? {
        guard let membership = target.membership, let directory = membership.sharedDirectory,
              !membership.faults.contains(.severedVsock),  // negative control: each VM its own backend
              membership.ownLinks.contains(where: { $0.link.kind == .vsock }) else { return nil }
        return member(index: membership.index, sharedDirectory: directory)
    }

    /// Every seat of `system`'s vsock links (the VMs that take part in one), in VM order.
    public static func members(of system: TargetSpec) -> [SharedVsockMember] {
        system.vms.compactMap { member(of: $0) }
    }

    /// Starts the backend for `members`, waits until every socket listens, runs `body`, then
    /// stops it (it ends by itself once every QEMU came and went; else SIGTERM, SIGKILL).
    /// Its stderr goes to `log`; `workspace` (where the sockets are) is removed by the orphan
    /// guard, together with the backend, should avps die.
    /// `slow`: the negative control `IsolationFaults.slowVsock` (every delivery to a guest held 15 ms).
    public static func with<T: Sendable>(
        _ members: [SharedVsockMember], log logURL: URL, workspace: URL, slow: Bool = false,
        _ body: @Sendable (VsockBackendHandle) async throws -> T
    ) async throws -> T {
        guard members.count >= 2 else { throw HypervisorError.invalidTarget("a shared vsock backend serves two VMs or more (got \(members.count))") }
        guard let executable = HostVsockSupport.backendExecutable() else {
            throw HypervisorError.unsupported("guest-to-guest vsock: no avps executable to run the vsock backend (set AVPS_VSOCKD)")
        }
        let logFD = try VsockBackendProcess.openLog(logURL)
        var options = PlatformOptions()
        options.processGroupID = 0
        let arguments = ["vsockd", "--verbose"] + members.flatMap { ["--vm", $0.specification] }
            + (slow ? ["--delay-ms", "15"] : [])
        return try await OrphanGuard.protect(workspace: workspace) { orphanGuard in
            do {
                let outcome = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), platformOptions: options,
                    input: .none, output: .discarded, error: .fileDescriptor(logFD, closeAfterSpawningProcess: true)
                ) { execution -> T in
                    var handle = VsockBackendHandle(processID: execution.processIdentifier.value, log: logURL)
                    handle.shared = true
                    orphanGuard.announce(processGroup: handle.processID)
                    defer { running.withLock { for member in members { $0[member.socket] = nil } } }
                    do {
                        for member in members {
                            try await VsockBackendProcess.waitUntilListening(handle, socket: member.socket)
                        }
                        running.withLock { for member in members { $0[member.socket] = handle } }
                        let value = try await body(handle)
                        await VsockBackendProcess.stop(handle)
                        return value
                    } catch {
                        await VsockBackendProcess.stop(handle)
                        throw error
                    }
                }
                return outcome.closureResult
            } catch let error as SubprocessError {
                throw HypervisorError.launchFailed("shared vsock backend \(executable): \(error)")
            }
        }
    }
}
