import AgentProtocol
import Dispatch
import Foundation

/// The frame that adapters whose hypervisor lives outside avps's process tree (libvirtd, a remote
/// host) share: a private workspace made by `prepare`, a live session run under the orphan guard,
/// and the workspace removed however the launch ends.
extension Hypervisor {
    /// Runs `plan` with a fresh workspace, removing the workspace again when planning fails.
    package func withNewWorkspace(
        _ plan: (URL) throws(HypervisorError) -> PreparedLaunch
    ) throws(HypervisorError) -> PreparedLaunch {
        let workspace = try Workspace.create()
        do {
            return try plan(workspace)
        } catch {
            try? FileManager.default.removeItem(at: workspace)
            throw error
        }
    }

    /// Runs the live `session` under the orphan guard (which removes the workspace if avps dies)
    /// and removes the workspace when it returns or throws.
    package func guardedSession<T: Sendable>(
        _ launch: PreparedLaunch, _ session: () async throws -> T
    ) async throws -> T {
        defer { discard(launch) }
        return try await OrphanGuard.protect(workspace: launch.workspace) { _ in try await session() }
    }

    /// The accelerator for a hypervisor avps cannot probe before it starts: `auto` stays on TCG,
    /// which works everywhere.
    package func unprobedAccelerator(_ requested: String) throws(HypervisorError) -> String {
        switch requested {
        case "auto", "tcg": "tcg"
        case "kvm": "kvm"
        default: throw .invalidTarget("accelerator must be auto, kvm or tcg (got \(requested))")
        }
    }
}

/// Runs `body` while watching the hypervisor: once `hasEnded` turns true the agent stream is
/// closed, so a read waiting on a dead guest ends at once with an explained failure instead of
/// its long timeout.
package func whileWatching<T: Sendable>(
    _ agent: any ByteStream, every interval: Duration, hasEnded: @escaping @Sendable () async -> Bool,
    _ body: () async throws -> T
) async throws -> T {
    let watcher = Task {
        while !Task.isCancelled {
            if await hasEnded() { agent.close(); return }
            try? await Task.sleep(for: interval)
        }
    }
    defer { watcher.cancel() }
    return try await body()
}

/// Runs one blocking C library call (libvirt, libssh) on the serial queue that owns its handle,
/// off the cooperative pool, and returns its result to the calling task.
package enum BlockingCall {
    package static func run<T: Sendable, Failure: Error>(
        on queue: DispatchQueue, _ body: @escaping @Sendable () -> Result<T, Failure>
    ) async throws(Failure) -> T {
        let result = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
        return try result.get()
    }
}
