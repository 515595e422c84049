import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Kills a hypervisor's process group if avps itself dies (SIGKILL, crash) while a guest runs.
///
/// PR_SET_PDEATHSIG would be the textbook tool, but it fires when the *thread* that spawned the
/// child exits, and Swift's executor threads come and go; a guest could be killed mid-run. Instead a
/// tiny `sh` in a process group of its own blocks reading a pipe whose only writer is avps
/// (close-on-exec, so no other child inherits it). When avps exits for any reason the kernel closes
/// the pipe, `read` returns, and the guard kills the guest's whole process group, then removes the
/// launch's workspace (sockets, disk images).
enum OrphanGuard {
    /// `$1` is the process group to kill once standard input reaches end of file, `$2` the workspace.
    static let script = "read -r _; kill -KILL -\"$1\" 2>/dev/null; rm -rf -- \"$2\"; exit 0"

    static func protect<T: Sendable>(processGroup: Int32, workspace: URL, _ body: () async throws -> T) async throws -> T {
        let pipe = try FileDescriptor.pipe()
        // The write end must not leak into any other child, or the pipe would outlive avps.
        _ = fcntl(pipe.writeEnd.rawValue, F_SETFD, FD_CLOEXEC)
        var options = PlatformOptions()
        options.processGroupID = 0  // its own group: safe from the terminal's Ctrl-C and from its own kill
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", script, "avps-orphan-guard", String(processGroup), workspace.path],
            platformOptions: options,
            input: .fileDescriptor(pipe.readEnd, closeAfterSpawningProcess: true),
            output: .discarded, error: .discarded
        ) { _ in
            defer { try? pipe.writeEnd.close() }
            return try await body()
        }
        return result.closureResult
    }
}
