import AgentProtocol
import Foundation
import HypervisorCore
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
