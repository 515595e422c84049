import Foundation

/// A private temporary directory for sockets and disk images.
///
/// It lives under /tmp rather than the run directory because Unix socket paths are limited to
/// 107 bytes, and CI checkouts can be deep.
package enum Workspace {
    /// Where workspaces are made: `$AVPS_WORKSPACE_ROOT` (tests point it at a private directory
    /// to see what a killed avps left), else /tmp.
    package static var root: String {
        ProcessInfo.processInfo.environment["AVPS_WORKSPACE_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// A fresh `avps-XXXXXX` directory (mode 0700), announced to `WorkspaceGuard` before it exists
    /// so that no moment is left in which avps could die and leave it behind.
    package static func create() throws(HypervisorError) -> URL {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for _ in 0..<100 {
            let path = root + "/avps-" + String((0..<6).map { _ in letters.randomElement() ?? "x" })
            WorkspaceGuard.announce(path)
            if mkdir(path, 0o700) == 0 { return URL(fileURLWithPath: path, isDirectory: true) }
            let failure = errno
            WorkspaceGuard.withdraw(path)  // not ours: never remove it
            guard failure == EEXIST else { throw .workspace("mkdir \(path) failed: \(String(cString: strerror(failure)))") }
        }
        throw .workspace("no free workspace name under \(root) after 100 tries")
    }

    /// Removes a workspace and withdraws it from the guard.
    package static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        WorkspaceGuard.withdraw(url.path)
    }
}
