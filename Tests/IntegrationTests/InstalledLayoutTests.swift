import Foundation
import Testing

/// avps laid out as `ci/install` lays it out (`<prefix>/bin/avps`, `<prefix>/share/avps/...`) and
/// started from a directory outside any checkout: it must find its profiles, suites and prebuilt
/// agent next to its own binary. (`ci/package-test` does the same with the real .deb and apt.)
@Suite("installed layout", .guestSlot(minutes: 5), .serialized, .timeLimit(.minutes(20)))
struct InstalledLayoutTests {
    /// A prefix with a copy of the debug binary (a copy, not a link: the binary finds its share
    /// through its own resolved path) and the shipped data. The share holds the prebuilt agent and
    /// no agent sources, so a run that boots proves the prebuilt agent was found and used.
    static func makePrefix() async throws -> (prefix: URL, elsewhere: URL) {
        let base = try Paths.temporaryDirectory("installed")
        let prefix = base.appendingPathComponent("prefix"), elsewhere = base.appendingPathComponent("elsewhere")
        let share = prefix.appendingPathComponent("share/avps")
        let manager = FileManager.default
        try manager.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try manager.createDirectory(at: share.appendingPathComponent("agent/prebuilt/x86_64"), withIntermediateDirectories: true)
        try manager.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try manager.copyItem(at: CLITests.binary, to: prefix.appendingPathComponent("bin/avps"))
        for name in ["Profiles", "Suites"] {
            try manager.copyItem(at: Paths.root.appendingPathComponent(name), to: share.appendingPathComponent(name))
        }
        let agent = share.appendingPathComponent("agent/prebuilt/x86_64/avps-agent")
        let built = try await CLITests.avps(["guest", "agent", "--arch", "x86_64", "--out", agent.path])
        #expect(built.status == 0, "avps guest agent: \(built.stderr)")
        return (prefix, elsewhere)
    }

    /// The environment without any hint of the checkout.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !["AVPS_HOME", "AVPS_AGENT_SOURCE"].contains($0.key) }
    }

    @Test("the agent alone is a static x86_64 executable")
    func agentAlone() async throws {
        let out = try Paths.temporaryDirectory("agent-alone").appendingPathComponent("avps-agent")
        let run = try await CLITests.avps(["guest", "agent", "--arch", "x86_64", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let header = try Data(contentsOf: out).prefix(20)
        #expect(Array(header.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])  // ELF
        #expect(header[18] == 0x3E)  // e_machine EM_X86_64
        let attributes = try FileManager.default.attributesOfItem(atPath: out.path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o111 != 0 } == true)
    }

    @Test("an installed avps run from elsewhere boots the default suite with its prebuilt agent")
    func installedRunFromElsewhere() async throws {
        let (prefix, elsewhere) = try await Self.makePrefix()
        let avps = prefix.appendingPathComponent("bin/avps")
        let coverage = try await CLITests.avps(["profile", "coverage", "avps-2.0"], executable: avps,
                                               directory: elsewhere, environment: Self.environment)
        #expect(coverage.status == 0, "\(coverage.stderr)")
        #expect(coverage.stdout.contains("AVPS"))

        let run = try await CLITests.avps(["run", "--accel", "tcg", "--progress", "plain"], executable: avps,
                                          directory: elsewhere, environment: Self.environment)
        #expect(![2, 3].contains(run.status), "exit \(run.status): \(run.stderr.suffix(2000))")
        #expect(!run.stderr.contains("compiling avps-agent"), "the installed layout must use its prebuilt agent")
        let runs = elsewhere.appendingPathComponent("Reports/runs")
        let made = try FileManager.default.contentsOfDirectory(atPath: runs.path)
        #expect(made.count == 1)
        let targets = try finishedRun(runs.appendingPathComponent(made.first ?? "none")).targets
        #expect(targets.count == 1)
        let verdicts = targets.flatMap { $0.results.map(\.verdict.rawValue) }
        #expect(verdicts.contains("PASS"))
        #expect(!verdicts.contains("INFRA") && !verdicts.contains("ERROR"), "\(verdicts)")
    }

    @Test("a bare binary with no data directory says where it looked")
    func bareBinary() async throws {
        let base = try Paths.temporaryDirectory("bare")
        let avps = base.appendingPathComponent("avps")
        try FileManager.default.copyItem(at: CLITests.binary, to: avps)
        let run = try await CLITests.avps(["run", "--plan"], executable: avps, directory: base,
                                          environment: Self.environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("Suites/default.yaml"), "\(run.stderr)")
    }
}
