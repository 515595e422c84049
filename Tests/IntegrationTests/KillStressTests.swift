import Foundation
import Testing

/// Kills `avps run` with SIGINT, SIGTERM and SIGKILL at seeded random moments (before the boot,
/// during it, while the agent answers, during shutdown). Afterwards nothing may remain: no QEMU,
/// no orphan guard, no workspace with sockets and disk images.
@Suite("Killing avps at random points leaks nothing", .guestSlot(minutes: 6), .serialized, .timeLimit(.minutes(20)))
struct KillStressTests {
    static let target = "stress-kill"

    static func suiteFile(in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("stress.yaml")
        try Data("""
            schema: 1
            name: stress
            profiles: [avps-2.0]
            targets:
              - name: \(target)
                accelerator: tcg
                devices: [entropy, {block: {size_mib: 8}}]
            """.utf8).write(to: url)
        return url
    }

    /// A small deterministic generator, so a failing delay can be replayed.
    struct SeededDelays {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 0.2 + Double(state >> 33) / Double(1 << 31) * 4.3
        }
    }

    @Test("10 kills each of SIGINT, SIGTERM and SIGKILL", arguments: [SIGINT, SIGTERM, SIGKILL])
    func kill(signal: Int32) async throws {
        let directory = try Paths.temporaryDirectory("stress-\(signal)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let suite = try Self.suiteFile(in: directory)
        _ = try await CLITests.avps(["guest", "build"])
        var delays = SeededDelays(state: 0xA5A5_0000 + UInt64(signal))
        let root = try Self.workspaceRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        for round in 1...10 {
            let delay = delays.next()
            let out = directory.appendingPathComponent("run\(round)")
            let run = try await CLITests.avps(["run", suite.path, "--out", out.path], environment: Self.environment(root),
                                              interruptAfter: delay, signal: signal)
            let context = "signal \(signal), round \(round), after \(String(format: "%.2f", delay)) s"
            if signal == SIGKILL {
                #expect([SIGKILL, 0, 1, 4].contains(run.status), "\(context): status \(run.status)")
            } else {
                // 3: interrupted run; 0/1/4: finished first (conformant, not, incomplete); the signal
                // itself: it landed before the handler was installed (start-up), nothing to clean up yet.
                #expect([3, 0, 1, 4, signal].contains(run.status), "\(context): status \(run.status)\n\(run.stderr)")
            }
            try await expectNothingLeft(out: out, context: context)
            try await Self.expectNoWorkspace(in: root, context: context)
        }
    }

    /// A private place for the killed avps's workspaces (`AVPS_WORKSPACE_ROOT`), short enough for
    /// socket paths: whatever it left is found there, even before it wrote any command line.
    static func workspaceRoot() throws -> URL {
        let root = URL(fileURLWithPath: "/tmp/avps-wsroot-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    static func environment(_ root: URL) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(["AVPS_WORKSPACE_ROOT": root.path]) { _, new in new }
    }

    /// The workspace guard removes what a killed avps left within moments of its death.
    static func expectNoWorkspace(in root: URL, context: String) async throws {
        var left: [String] = []
        for _ in 0..<50 {
            left = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left.isEmpty, "\(context): workspaces left: \(left)")
    }

    @Test("SIGKILL while the target is still being planned (before any guest or orphan guard) leaves no workspace")
    func killDuringPlanning() async throws {
        let directory = try Paths.temporaryDirectory("stress-plan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let suite = try Self.suiteFile(in: directory)
        _ = try await CLITests.avps(["guest", "build"])
        let root = try Self.workspaceRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        // The run holds its planned launch for 20 s (a test hook), so each kill lands in the window
        // where the workspace exists but nothing of the guest does: the plan file is the sign.
        var environment = Self.environment(root)
        environment["AVPS_TEST_PAUSE_AFTER_PLAN"] = "20"
        for round in 1...2 {
            let out = directory.appendingPathComponent("run\(round)")
            let planned = out.appendingPathComponent("\(Self.target)/qemu-cmdline.txt")
            let run = try await CLITests.avps(["run", suite.path, "--out", out.path], environment: environment, interruptAfter: 0.2, signal: SIGKILL,
                                              interruptWhen: { FileManager.default.fileExists(atPath: planned.path) })
            #expect(run.status == SIGKILL, "round \(round): \(run.status)")
            let delay = round
            try await Self.expectNoWorkspace(in: root, context: "SIGKILL in the planned window, round \(delay)")
        }
    }

    func expectNothingLeft(out: URL, context: String) async throws {
        let commandFile = out.appendingPathComponent("\(Self.target)/qemu-cmdline.txt")
        let workspacePath = (try? String(contentsOf: commandFile, encoding: .utf8))
            .flatMap { workspace(of: $0.split(separator: " ").map(String.init)) }
        for _ in 0..<50 {
            let busy = !processesMentioning("avps-\(Self.target)").isEmpty
                || (workspacePath.map { !processesMentioning($0).isEmpty } ?? false)
                || (workspacePath.map { FileManager.default.fileExists(atPath: $0) } ?? false)
            if !busy { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(processesMentioning("avps-\(Self.target)").isEmpty, "\(context): QEMU left running")
        if let workspacePath {
            #expect(processesMentioning(workspacePath).isEmpty, "\(context): helper process left running")
            #expect(!FileManager.default.fileExists(atPath: workspacePath), "\(context): workspace \(workspacePath) left")
        }
    }
}
