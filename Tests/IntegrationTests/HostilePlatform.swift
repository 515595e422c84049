import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The fake hypervisor + fake agent of `HostilePlatform/fake_platform.py` behind the external
/// adapter, and `avps run` measured from outside: exit status, wall time, peak RSS, what it left.
struct HostilePlatform {
    static let script = Paths.root.appendingPathComponent("Tests/IntegrationTests/HostilePlatform/fake_platform.py")

    /// What one `avps run` against a hostile platform did.
    struct Measured {
        var status: Int32
        var wall: Duration
        /// Peak RSS of avps alone (`VmHWM`, polled every 20 ms until it exits).
        var peakKiB: Int
        var stderr: String
        var runDirectory: URL
        /// Processes still carrying the scenario's marker after the run (pgrep -f).
        var leftovers: [Int32]
    }

    var scenario: String
    var marker = "avps-hostile-\(UUID().uuidString.prefix(12).lowercased())"
    var stop: Bool = false
    var extraArguments: [String] = []
    /// Declared devices of the target.
    var devices = "[entropy]"
    /// `external.host_files` of the target (YAML flow mapping), when the platform declares some.
    var hostFiles: String?

    func suite(in directory: URL) throws -> URL {
        let start = ["python3", Self.script.path, scenario, marker, "{workspace}/agent.sock", "{serial_log}"]
        var lines = ["schema: 1", "name: hostile", "profiles: [avps-2.0]", "targets:", "  - name: hostile",
                     "    adapter: external", "    devices: \(devices)", "    external:",
                     "      start: \(Self.yamlList(start))", #"      channel: { unix: "{workspace}/agent.sock" }"#]
        if let hostFiles { lines.append("      host_files: \(hostFiles)") }
        if stop { lines.append("      stop: \(Self.yamlList(["python3", Self.script.path, "stop-hangs", marker, "-", "-"]))") }
        let url = directory.appendingPathComponent("suite.yaml")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }

    static func yamlList(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    /// Runs avps against the scenario; `killAfter` SIGKILLs avps once that much time has passed,
    /// `signals` sends each signal at its time.
    func run(killAfter: Duration? = nil, signals: [(Duration, Int32)] = []) async throws -> Measured {
        let directory = try Paths.temporaryDirectory("hostile-\(scenario)")
        let suite = try suite(in: directory)
        let out = directory.appendingPathComponent("run")
        let arguments = ["run", suite.path, "--out", out.path] + extraArguments
        let marker = self.marker
        var schedule = signals
        if let killAfter { schedule.append((killAfter, SIGKILL)) }
        let timed = schedule
        return try await offPool {
            try Self.measure(arguments, runDirectory: out, marker: marker, signals: timed)
        }
    }

    private static func measure(_ arguments: [String], runDirectory: URL, marker: String,
                                signals: [(Duration, Int32)]) throws -> Measured {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = Paths.root
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        let pid = process.processIdentifier
        // Read stderr on its own thread so a chatty avps never blocks on a full pipe.
        let collected = StderrCollector()
        let reader = Thread { collected.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        var peak = 0
        var pending = signals.sorted { $0.0 < $1.0 }
        while process.isRunning {
            peak = max(peak, Self.highWaterMark(pid) ?? 0)
            if let next = pending.first, clock.now - start > next.0 {
                kill(pid, next.1)
                pending.removeFirst()
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        let wall = clock.now - start
        while !collected.done { usleep(10_000) }
        // A killed avps's orphan guard works after avps is gone: give it up to 5 s.
        var leftovers = Self.pgrep(marker)
        for _ in 0..<50 where !leftovers.isEmpty {
            usleep(100_000)
            leftovers = Self.pgrep(marker)
        }
        return Measured(status: process.terminationStatus, wall: wall, peakKiB: peak,
                        stderr: String(decoding: collected.data ?? Data(), as: UTF8.self),
                        runDirectory: runDirectory, leftovers: leftovers)
    }

    static func highWaterMark(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Live (non-zombie) processes whose command line holds `marker`.
    static func pgrep(_ marker: String) -> [Int32] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        process.arguments = ["-f", marker]
        guard let captured = try? CapturedRun.run(process) else { return [] }
        return captured.stdout.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Kills what a failed test left (by pid: only processes carrying this scenario's marker).
    static func killLeftovers(_ pids: [Int32]) {
        for pid in pids { kill(pid, SIGKILL) }
    }
}

/// The stderr of a measured run, filled by its reader thread.
final class StderrCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    private var finished = false

    var data: Data? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue; finished = true } }
    }

    var done: Bool { lock.withLock { finished } }
}
