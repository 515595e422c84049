import Foundation

/// Runs a started-here `Process` to its end with its output in files, not pipes. A pipe reaches
/// its end only when every copy of its write end is closed, and a long-lived process that another
/// test spawns at the same moment (sshd, a guard, libvirtd) can inherit one: the reader then waited
/// for that process instead of the child (a CLI test hit its 5-minute limit this way in CI).
struct CapturedRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Starts `process` with stdout and stderr captured, calls `whileRunning` (to interrupt it, for
    /// instance), waits for the exit and returns what it wrote.
    static func run(_ process: Process, whileRunning: () -> Void = {}) throws -> CapturedRun {
        let capture = try Paths.temporaryDirectory("captured-output")
        defer { try? FileManager.default.removeItem(at: capture) }
        let outURL = capture.appendingPathComponent("stdout"), errURL = capture.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        whileRunning()
        process.waitUntilExit()
        return CapturedRun(status: process.terminationStatus,
                           stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                           stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }
}
