import Foundation
import Subprocess
import SystemPackage

/// Finds an executable on PATH (or takes an explicit override), so errors can name what is missing.
package enum ExecutableLookup {
    package static func find(_ name: String, override: String? = nil) -> String? {
        if let override, !override.isEmpty {
            return FileManager.default.isExecutableFile(atPath: override) ? override : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// How to start a program a user named: by path when the name has a `/` (vendors name their
    /// tools `/usr/sbin/xl` or `./run-vm`), else looked up on PATH. Never through a shell.
    package static func executable(_ program: String) -> Executable {
        program.contains("/") ? .path(FilePath(program)) : .name(program)
    }
}
