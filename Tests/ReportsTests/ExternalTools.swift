import Foundation
import Synchronization
import Testing

/// Runs the external validators (python3 + jsonschema, xmllint) the tests rely on, and finds the
/// reference files. A missing tool is a test failure with a message saying what to install,
/// never a silent pass.
enum ExternalTools {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The package root, from this file's path (`<root>/Tests/ReportsTests/ExternalTools.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let resultsSchema = packageRoot.appendingPathComponent("Reports/schema/results-v1.schema.json")

    /// `../shared/reference/junit-10.xsd` next to the worktree, else the shared checkout.
    static var junitXSD: URL {
        let sibling = packageRoot.appendingPathComponent("../shared/reference/junit-10.xsd").standardizedFileURL
        if FileManager.default.fileExists(atPath: sibling.path) { return sibling }
        return URL(fileURLWithPath: "/work/shared/reference/junit-10.xsd")
    }

    /// Runs `tool` through `/usr/bin/env` with output captured in files (pipes can deadlock when a
    /// tool writes a lot to both streams).
    static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Records a clear failure when `/usr/bin/env` could not find the tool (exit 127).
    static func requireTool(_ output: Output, _ tool: String, hint: String,
                            sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if output.status == 127 {
            Issue.record("\(tool) is not installed or not on PATH: \(hint)", sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    /// A fresh directory; tests read files from it until the process ends, so every directory
    /// made here is removed then (each test run left a dozen in /tmp before).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-reports-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let first = madeDirectories.withLock { made in
            made.append(url.path)
            return made.count == 1
        }
        if first {
            atexit { for path in ExternalTools.madeDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) } }
        }
        return url
    }

    private static let madeDirectories = Mutex<[String]>([])

    /// Writes `text` to a fresh temporary file and returns its URL.
    static func write(_ data: Data, name: String) throws -> URL {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Validates a JSON instance against a draft 2020-12 schema with python's `jsonschema`,
    /// format checks on. Exit status 0 valid, 1 invalid (errors on stdout), 3 module missing.
    static func validateJSON(_ instance: URL, schema: URL) throws -> Output {
        let script = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            print("python module jsonschema is not installed (apt install python3-jsonschema)")
            sys.exit(3)
        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        instance = json.load(open(sys.argv[2], encoding="utf-8"))
        cls = jsonschema.Draft202012Validator
        cls.check_schema(schema)
        errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(instance), key=str)
        for e in errors:
            print("/".join(map(str, e.absolute_path)) + ": " + e.message)
        sys.exit(1 if errors else 0)
        """
        return try run("python3", ["-c", script, schema.path, instance.path])
    }
}
