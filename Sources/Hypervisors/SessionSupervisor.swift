import AgentProtocol
import Foundation
import Synchronization

/// Watches what QEMU itself does not: the guest process, our vsock backend, and QEMU's stderr for
/// vhost failures (without a shared memory backend QEMU keeps running with a dead data plane).
/// On trouble it closes the agent stream so the run ends at once, and keeps the reason for INFRA.
final class SessionSupervisor: Sendable {
    let launch: PreparedLaunch
    let backend: VsockBackendHandle?
    private let found = Mutex<HypervisorError?>(nil)

    init(launch: PreparedLaunch, backend: VsockBackendHandle?) {
        self.launch = launch
        self.backend = backend
    }

    var trouble: HypervisorError? { found.withLock { $0 } }

    func watch(pid: Int32, agent: any ByteStream) async {
        while !Task.isCancelled {
            if ProcessState.hasExited(pid) { agent.close(); return }
            if let problem = checkNow(qemu: pid) {
                // A backend that exits because QEMU hung up (guest poweroff) is no trouble.
                if case .exitedEarly("vsock backend exited", _) = problem,
                   await ProcessState.waitForExit(pid, timeout: .milliseconds(500)) { agent.close(); return }
                found.withLock { $0 = $0 ?? problem }
                agent.close()
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Like `checkNow`, but gives a dying backend a moment to be seen as exited: its sockets close
    /// (and the agent read fails) before the kernel reports the process as exited.
    func settle(qemu pid: Int32) async -> HypervisorError? {
        if let problem = checkNow(qemu: pid) { return problem }
        guard backend != nil else { return nil }
        for _ in 0..<10 {
            try? await Task.sleep(for: .milliseconds(50))
            if let problem = checkNow(qemu: pid) { return problem }
        }
        return nil
    }

    /// The backend's death (while QEMU runs) or a vhost failure QEMU logged, if either happened.
    func checkNow(qemu pid: Int32) -> HypervisorError? {
        if let backend, backend.hasExited, !ProcessState.hasExited(pid) {
            return .exitedEarly(status: "vsock backend exited", detail: backend.logTail())
        }
        guard launch.vsock != nil, let line = Self.vhostFailure(in: launch.stderrLog) else { return nil }
        return .exitedEarly(status: "QEMU reported a vhost failure", detail: line)
    }

    /// The first stderr line that reports a failed vhost set-up (memory table, ring, start), among
    /// the log's last 64 KiB (polled every 100 ms: never the whole file).
    static func vhostFailure(in log: URL) -> String? {
        let text = String(decoding: FileTail.bytes(log, maxBytes: 64 * 1024), as: UTF8.self)
        guard text.contains("vhost") else { return nil }
        return text.split(whereSeparator: \.isNewline).first { line in
            let lower = line.lowercased()
            return lower.contains("vhost") && (lower.contains("fail") || lower.contains("error"))
        }.map(String.init)
    }
}

/// Opens the byte stream to the agent for the launch's channel.
enum AgentStreams {
    /// Fixed vsock ports of the agent (Sources/avps-agent/PROTOCOL.md §1.2).
    static let controlPort: UInt32 = 1024
    static let bulkPort: UInt32 = 1025

    static func open(_ launch: PreparedLaunch, deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        try await open(launch, port: controlPort, deadline: deadline)
    }

    /// vsock streams connect lazily (the guest is still booting); virtio-serial connects now.
    static func open(_ launch: PreparedLaunch, port: UInt32, deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        switch launch.agentChannel {
        case .virtioSerial:
            return try await UnixSocketStream.connect(path: launch.agentSocket, deadline: deadline)
        case .userVsock:
            return HybridVsockStream(path: launch.vsockUDS, port: port)
        case .kernelVsock(let cid):
            return KernelVsockStream(cid: cid, port: port)
        }
    }
}

extension RunningGuest {
    /// A new stream to another vsock port of the guest (the agent's bulk port for measurements);
    /// nil when the agent channel is not vsock.
    public func vsockStream(port: UInt32) async throws -> (any ByteStream)? {
        guard launch.agentChannel.isVsock else { return nil }
        return try await AgentStreams.open(launch, port: port, deadline: .now + .seconds(5))
    }

    /// The agent's bulk port (PROTOCOL.md §1.2).
    public static let agentBulkPort = AgentStreams.bulkPort

    /// A stream to the agent of the guest after it rebooted under the run: vsock connections
    /// end with the old guest, so a new one is opened (it connects once the new agent listens);
    /// the virtio-serial socket outlives the reboot (the agent sends `ready` again on it).
    public func reconnectAgent() async throws -> any ByteStream {
        if case .virtioSerial = launch.agentChannel { return agent }
        agent.close()  // the old guest's connection; nothing more will come on it
        return try await AgentStreams.open(launch, deadline: .now + .seconds(5))
    }
}
