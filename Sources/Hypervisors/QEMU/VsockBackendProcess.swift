import AVPSModel
import Foundation
import HypervisorCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Decides the agent channel and the vsock device of a target on this host.
enum VsockPlanning {
    /// - Returns: the agent's channel, and how the vsock device is provided (nil: no vsock device).
    static func plan(_ target: TargetSpec) throws(HypervisorError) -> (AgentChannelChoice, AgentChannelChoice?) {
        let wantsDevice = target.devices.contains(.vsock)
        if target.agentChannel == .virtioSerial && !wantsDevice {
            return (.virtioSerial(reason: "the target asks for virtio-serial"), nil)
        }
        if target.agentChannel == .auto && !wantsDevice && target.devices.contains(where: \.powerCutTest) {
            return (.virtioSerial(reason: "the power-cut test kills QEMU, and avps's own vsock backend is not started again with it"), nil)
        }
        let requested: AgentChannelKind = target.agentChannel == .virtioSerial ? .vsock : target.agentChannel
        var host = HostVsockSupport.probe()
        // Kernel vhost-vsock carries nothing between guests: a VM of a vsock link needs our backend.
        if SharedVsockBackend.member(of: target) != nil { host.kernelVhostVsock = false }
        let provision: AgentChannelChoice?
        switch try AgentChannelSelector.choose(requested, host: host) {
        case .kernelVsock: provision = .kernelVsock(cid: try KernelCIDAllocator.allocate())
        case .userVsock(let backend): provision = .userVsock(backend: backend)
        case .virtioSerial(let reason): return (.virtioSerial(reason: reason), nil)
        }
        if target.agentChannel == .virtioSerial { return (.virtioSerial(reason: "the target asks for virtio-serial"), provision) }
        return (provision ?? .virtioSerial(reason: "no vsock"), provision)
    }
}

/// Our vsock backend (`avps vsockd`) as a process beside QEMU.
///
/// QEMU does not notice when a vhost-user-vsock backend dies (the guest's connections just hang),
/// so the session supervises it: see `GuestSession`.
public struct VsockBackendHandle: Sendable {
    public let processID: Int32
    /// The backend's stderr (an artifact of the run).
    public let log: URL
    /// Serves several VMs of a system (`SharedVsockBackend`): a launch neither starts nor stops it,
    /// and its QEMU keeps a process group of its own.
    public internal(set) var shared = false

    init(processID: Int32, log: URL) {
        self.processID = processID
        self.log = log
    }

    var hasExited: Bool { ProcessState.hasExited(processID) }

    func logTail() -> String {
        FileTail.lines(log, maxBytes: 4096, lines: 3, lineCharacters: 300).joined(separator: " | ")
    }
}

enum VsockBackendProcess {
    /// Runs `body` with the backend up and listening when the launch uses our backend (nil
    /// otherwise), then makes sure the backend is gone.
    static func withBackend<T: Sendable>(
        for launch: PreparedLaunch, stages: StageLog, orphanGuard: OrphanGuard.Guard,
        _ body: @Sendable (VsockBackendHandle?) async throws -> T
    ) async throws -> T {
        guard case .userVsock(let executable) = launch.vsock else { return try await body(nil) }
        if let shared = SharedVsockBackend.handle(serving: launch.vsockSocket) { return try await body(shared) }
        let logURL = launch.stderrLog.deletingLastPathComponent().appendingPathComponent("vsockd.log")
        let logFD = try openLog(logURL)
        var options = PlatformOptions()
        options.processGroupID = 0  // QEMU joins this group; the orphan guard kills both
        let arguments = ["vsockd", "--socket", launch.vsockSocket, "--uds", launch.vsockUDS,
                         "--cid", String(launch.agentChannel.guestCID), "--verbose"]
        do {
            let outcome = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments), platformOptions: options,
                input: .none, output: .discarded, error: .fileDescriptor(logFD, closeAfterSpawningProcess: true)
            ) { execution -> T in
                let handle = VsockBackendHandle(processID: execution.processIdentifier.value, log: logURL)
                // Guarded from the first instant: if avps dies before QEMU exists, the backend
                // (and its group, which QEMU joins later) still goes.
                orphanGuard.announce(processGroup: handle.processID)
                do {
                    try await stages.run("vsock backend started") { try await waitUntilListening(handle, socket: launch.vsockSocket) }
                    let value = try await body(handle)
                    await stop(handle)
                    return value
                } catch {
                    await stop(handle)
                    throw error
                }
            }
            return outcome.closureResult
        } catch let error as SubprocessError {
            throw HypervisorError.launchFailed("vsock backend \(executable): \(error)")
        }
    }

    /// The backend's stderr, truncated (an artifact of the run).
    static func openLog(_ url: URL) throws(HypervisorError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(url.path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                                           permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw .workspace("cannot open \(url.path): \(error)")
        }
    }

    /// The backend renames its socket into place only once it listens, so existence is enough.
    static func waitUntilListening(_ handle: VsockBackendHandle, socket: String) async throws(HypervisorError) {
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) {
            if handle.hasExited { throw .exitedEarly(status: "vsock backend exited during start", detail: handle.logTail()) }
            if ContinuousClock.now >= deadline { throw .launchFailed("vsock backend did not listen on \(socket) within 10 s") }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The backend exits by itself once QEMU hung up; otherwise SIGTERM, then SIGKILL.
    static func stop(_ handle: VsockBackendHandle) async {
        await Task {
            if await ProcessState.waitForExit(handle.processID, timeout: .seconds(1)) { return }
            kill(handle.processID, SIGTERM)
            if await ProcessState.waitForExit(handle.processID, timeout: .seconds(2)) { return }
            kill(handle.processID, SIGKILL)
            _ = await ProcessState.waitForExit(handle.processID, timeout: .seconds(5))
        }.value
    }
}
