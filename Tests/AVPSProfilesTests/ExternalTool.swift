import Foundation
import Testing

/// Runs a real validator (check-jsonschema) with output captured in files. A missing tool is a
/// recorded failure naming what to install, never a silent pass.
enum ExternalTool {
    struct Output {
        var status: Int32
        var output: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `tool` through `/usr/bin/env` (argument list, no shell); stdout and stderr together.
    static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("avps-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// False (with a recorded issue) when `/usr/bin/env` could not find the tool (exit 127).
    static func present(_ output: Output, _ tool: String, hint: String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard output.status == 127 else { return true }
        Issue.record("\(tool) is not installed or not on PATH: \(hint)", sourceLocation: sourceLocation)
        return false
    }
}
