import Foundation
import Synchronization
import Testing

/// Drives the real C agent (`Sources/avps-agent`) in `--stdio` mode against the golden
/// frames in `Golden/`, so the C side and the Swift host client are held to the same bytes.
/// The agent is compiled with the exact build contract from PROTOCOL.md / README.md.
enum AgentHarness {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Output of one agent run: stdout split into frames (without their newlines).
    struct Run {
        let frames: [Data]
        let status: Int32
        let stderr: String
    }

    /// `#filePath` walked up to the directory holding Package.swift.
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    static let sourceDir = packageRoot.appendingPathComponent("Sources/avps-agent")
    static let goldenDir = packageRoot.appendingPathComponent("Tests/AgentProtocolTests/Golden")
    static let sysfsRoot = goldenDir.appendingPathComponent("sysfs")

    /// Built once per test process; every test shares the binary.
    static let binary: Result<URL, Failure> = build()

    private static func build() -> Result<URL, Failure> {
        // The agent may exit (poweroff) while a test still writes to it; that must
        // surface as a write error here, not kill the test runner.
        signal(SIGPIPE, SIG_IGN)
        do {
            let sources = try FileManager.default.contentsOfDirectory(atPath: sourceDir.path)
                .filter { $0.hasSuffix(".c") }.sorted()
                .map { sourceDir.appendingPathComponent($0).path }
            let outDir = FileManager.default.temporaryDirectory
                .appendingPathComponent("avps-agent-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
            removeAtExit(outDir)
            let output = outDir.appendingPathComponent("avps-agent")
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            cc.arguments = ["cc", "-std=c11", "-O2", "-static", "-Wall", "-Wextra", "-Werror",
                            "-D_GNU_SOURCE", "-o", output.path] + sources
            let log = Pipe()
            cc.standardOutput = log
            cc.standardError = log
            try cc.run()
            let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            cc.waitUntilExit()
            guard cc.terminationStatus == 0 else {
                return .failure(Failure(description: "cc failed (\(cc.terminationStatus)):\n\(text)"))
            }
            return .success(output)
        } catch {
            return .failure(Failure(description: "cannot build the agent: \(error)"))
        }
    }

    private static let builtDirectory = Mutex<String?>(nil)

    /// The binary is shared by every test until the process ends, so its directory goes then
    /// (it was left in /tmp by every test run before).
    private static func removeAtExit(_ directory: URL) {
        builtDirectory.withLock { $0 = directory.path }
        atexit {
            if let path = AgentHarness.builtDirectory.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Lets non-Sendable Foundation handles cross into a helper thread; each is used by
    /// one thread at a time.
    private final class Handoff<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// Runs `avps-agent --stdio --sysfs <fixture>` with `input` on stdin until it exits.
    /// stdin is written from its own thread so large inputs cannot deadlock against stdout.
    static func run(_ input: Data, sysfs: URL = sysfsRoot, timeout: TimeInterval = 60) throws -> Run {
        let agent = Process()
        agent.executableURL = try binary.get()
        agent.arguments = ["--stdio", "--sysfs", sysfs.path]
        let stdin = Pipe(), stdout = Pipe()
        let errURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("avps-agent-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        agent.standardInput = stdin
        agent.standardOutput = stdout
        agent.standardError = errHandle
        try agent.run()
        try errHandle.close()

        let writer = Handoff(stdin.fileHandleForWriting)
        Thread.detachNewThread {
            try? writer.value.write(contentsOf: input)
            try? writer.value.close()
        }
        let watched = Handoff(agent)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if watched.value.isRunning { watched.value.terminate() }
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        agent.waitUntilExit()
        let errText = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""

        guard out.isEmpty || out.last == UInt8(ascii: "\n") else {
            throw Failure(description: "stdout does not end with a newline; stderr:\n\(errText)")
        }
        let frames = out.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .dropLast().map { Data($0) }
        return Run(frames: frames, status: agent.terminationStatus, stderr: errText)
    }

    static func golden(_ name: String) throws -> Data {
        try Data(contentsOf: goldenDir.appendingPathComponent(name))
    }

    static func object(_ frame: Data) throws -> [String: Any] {
        guard let obj = try JSONSerialization.jsonObject(with: frame) as? [String: Any] else {
            throw Failure(description: "frame is not a JSON object: \(String(decoding: frame, as: UTF8.self))")
        }
        return obj
    }

    /// Structural JSON equality over what JSONSerialization produces.
    static func jsonEqual(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull):
            return true
        case let (x as String, y as String):
            return x == y
        case let (x as NSNumber, y as NSNumber):
            return x == y
        case let (x as [String: Any], y as [String: Any]):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { jsonEqual(value, $0) } ?? false }
        case let (x as [Any], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
        default:
            return false
        }
    }

    /// Checks that `frame` equals the golden file (one frame) as parsed JSON.
    static func expectFrame(_ frame: Data?, equalsGolden name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let frame = try #require(frame, "missing frame for \(name)", sourceLocation: sourceLocation)
        let expected = try object(golden(name))
        let actual = try object(frame)
        #expect(jsonEqual(actual, expected),
                "\(name): got \(String(decoding: frame, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static func line(_ text: String) -> Data { Data((text + "\n").utf8) }
}

@Suite("avps-agent binary against golden frames")
struct AgentBinaryTests {
    typealias H = AgentHarness

    @Test func buildsWithTheBuildContract() throws {
        _ = try H.binary.get()
    }

    @Test func sendsReadyEventFirstAndExitsAtEndOfInput() throws {
        let run = try H.run(Data())
        #expect(run.status == 0)
        #expect(run.frames.count == 1)
        try H.expectFrame(run.frames.first, equalsGolden: "ready-event.json")
    }

    @Test func helloReportsVersionsAndHostIdentity() throws {
        let run = try H.run(try H.golden("hello-request.jsonl"))
        #expect(run.frames.count == 2)
        let response = try H.object(try #require(run.frames.last))
        #expect(Set(response.keys) == ["id", "result"])
        #expect((response["id"] as? NSNumber) == 1)
        let result = try #require(response["result"] as? [String: Any])
        #expect(Set(result.keys) == ["agent_version", "protocol_version", "kernel_release", "machine"])
        #expect(result["agent_version"] as? String == "0.1.0")
        #expect((result["protocol_version"] as? NSNumber) == 1)
        #expect(!((result["kernel_release"] as? String) ?? "").isEmpty)
        #expect(!((result["machine"] as? String) ?? "").isEmpty)
    }

    /// Request/response golden pairs; each runs in a fresh agent.
    static let pairs = [
        "inventory", "error-malformed", "error-not-object", "error-id-not-integer",
        "error-missing-method", "error-params-not-object", "error-unknown-method",
        "error-unknown-method-escapes",
        "probe-console-ports", "probe-console-transfer-absent", "probe-input-caps", "probe-iommu-no-driver", "probe-absent-device",
        "probe-wrong-device", "probe-unknown", "probe-missing-name", "probe-path-escape",
        "probe-platform-buses-absent", "probe-watchdog-absent",
    ]

    @Test(arguments: pairs)
    func responseMatchesGolden(_ name: String) throws {
        let run = try H.run(try H.golden("\(name)-request.jsonl"))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frames.count == 2)
        try H.expectFrame(run.frames.last, equalsGolden: "\(name)-response.json")
    }

    /// One session, all requests pipelined: exactly one response each, in order.
    @Test func pipelinedRequestsAnswerInOrder() throws {
        var input = Data()
        for name in Self.pairs { input += try H.golden("\(name)-request.jsonl") }
        let run = try H.run(input)
        #expect(run.frames.count == Self.pairs.count + 1)
        for (index, name) in Self.pairs.enumerated() where index + 1 < run.frames.count {
            try H.expectFrame(run.frames[index + 1], equalsGolden: "\(name)-response.json")
        }
    }

    @Test func malformedJSONIsAnsweredWithNullId() throws {
        let run = try H.run(H.line(#"{"id":12,"method":"hello",}"#) + H.line(#"{"id":13,"method":"hello"}"#))
        #expect(run.frames.count == 3)
        let error = try H.object(run.frames[1])
        #expect(error["id"] is NSNull)
        #expect((error["error"] as? [String: Any])?["code"] as? String == "bad_request")
        #expect((try H.object(run.frames[2])["id"] as? NSNumber) == 13)
    }

    @Test func unknownMethodIsReported() throws {
        let run = try H.run(H.line(#"{"id":21,"method":"HELLO","params":{}}"#))
        let error = try H.object(try #require(run.frames.last))
        #expect((error["id"] as? NSNumber) == 21)
        #expect((error["error"] as? [String: Any])?["code"] as? String == "unknown_method")
    }

    /// 1.5 MiB without a newline: answered with frame_too_large (id null) once the newline
    /// arrives, and the next request is served normally.
    @Test func oversizedFrameIsRejectedAndAgentKeepsServing() throws {
        var input = H.line(#"{"id":1,"method":"hello"}"#)
        input += Data(repeating: UInt8(ascii: "a"), count: 1_572_864)
        input += H.line("") + H.line(#"{"id":2,"method":"hello"}"#)
        let run = try H.run(input)
        #expect(run.frames.count == 4)
        #expect((try H.object(run.frames[1])["id"] as? NSNumber) == 1)
        try H.expectFrame(run.frames[2], equalsGolden: "error-frame-too-large-response.json")
        #expect((try H.object(run.frames[3])["id"] as? NSNumber) == 2)
    }

    /// A frame of exactly 1 MiB including its newline is legal; one byte more is not.
    @Test(arguments: [(1_048_576, true), (1_048_577, false)])
    func frameLimitBoundary(_ total: Int, _ accepted: Bool) throws {
        let head = #"{"id":5,"method":"hello","params":{"pad":""#, tail = #""}}"#
        let pad = String(repeating: "x", count: total - 1 - head.utf8.count - tail.utf8.count)
        let run = try H.run(H.line(head + pad + tail))
        #expect(run.frames.count == 2)
        let response = try H.object(try #require(run.frames.last))
        if accepted {
            #expect((response["id"] as? NSNumber) == 5 && response["result"] != nil)
        } else {
            #expect((response["error"] as? [String: Any])?["code"] as? String == "frame_too_large")
        }
    }

    /// Hostile frames must each get one bad_request and leave the agent serving.
    @Test func garbageGetsOneErrorEachAndAgentSurvives() throws {
        let garbage: [Data] = [
            Data(String(repeating: "[", count: 200_000).utf8),
            Data(#"{"id":1,"method":"he"#.utf8) + Data([0xFF, 0xFE]) + Data(#"llo"}"#.utf8),
            Data(#"{"id":1,"method":"hel"#.utf8) + Data([0x00]) + Data(#"lo"}"#.utf8),
            Data(#"{"id":99999999999999999999,"method":"hello"}"#.utf8),
            Data(#"{"id":1,"id":2,"method":"hello"}"#.utf8),
            Data(#"{"id":1,"method":"hello"} x"#.utf8),
            Data(#""\ud800""#.utf8),
            Data([0x80, 0xC0, 0xF5, 0x7B]),
        ]
        var input = Data()
        for frame in garbage { input += frame + Data([0x0A]) }
        input += H.line(#"{"id":77,"method":"hello"}"#)
        let run = try H.run(input)
        #expect(run.status == 0)
        #expect(run.frames.count == garbage.count + 2)
        for frame in run.frames.dropFirst().dropLast() {
            let error = try H.object(frame)
            #expect(error["id"] is NSNull)
            #expect((error["error"] as? [String: Any])?["code"] as? String == "bad_request")
        }
        #expect((try H.object(try #require(run.frames.last))["id"] as? NSNumber) == 77)
    }

    /// In --stdio mode poweroff answers {} and exits 0 instead of powering off the host.
    @Test func poweroffInStdioModeAnswersThenExits() throws {
        let input = try H.golden("poweroff-request.jsonl") + H.line(#"{"id":4,"method":"hello"}"#)
        let run = try H.run(input)
        #expect(run.status == 0)
        #expect(run.frames.count == 2)
        try H.expectFrame(run.frames.last, equalsGolden: "poweroff-response.json")
    }
}
