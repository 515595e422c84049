import AVPSModel
import Foundation
import HypervisorCore
import QEMUHypervisor

extension SystemRunner {
    /// Runs `body` with one vsock backend serving every VM of the system's vsock links (QEMU
    /// systems; CID 3 + the VM's position), so their guests reach each other by CID. Each VM's
    /// launch finds the backend by its socket and is supervised by it; the backend's log goes to
    /// the system's artifact directory. Without a vsock link, or under another adapter, `body` alone.
    func withVsockLinks<T: Sendable>(_ system: TargetSpec, log directory: URL, workspace: URL,
                                     _ body: @Sendable () async throws -> T) async throws -> T {
        let members = SharedVsockBackend.members(of: system)
        guard system.adapter == "qemu", members.count >= 2 else { return try await body() }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await SharedVsockBackend.with(members, log: directory.appendingPathComponent("vsockd.log"), workspace: workspace,
                                                 slow: runner.isolationFaults.contains(.slowVsock)) { _ in try await body() }
    }
}
