import Foundation

/// The host directory a system's VMs share (shared-memory backing files), under the same orphan
/// guard as a launch workspace: removed when the system ends, and by the guard when avps dies
/// (SIGKILL included) before it could clean up.
public enum SystemWorkspace {
    public static func with<T: Sendable>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = try Workspace.create()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await OrphanGuard.protect(workspace: directory) { _ in try await body(directory) }
    }
}
