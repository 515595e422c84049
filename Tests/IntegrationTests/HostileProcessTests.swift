import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nothing a platform starts outlives the run: a child in the start command's group, a child that
/// called setsid(), a double-forked daemon, a daemonizing start whose `stop` never returns. Each
/// after a normal end, an INFRA end and a SIGKILLed avps, checked with pgrep on a unique marker.
@Suite("Hostile platform processes", .guestSlot(minutes: 10), .serialized, .timeLimit(.minutes(20)))
struct HostileProcessTests {
    static func expectNothingLeft(_ run: HostilePlatform.Measured, _ what: String) {
        defer { HostilePlatform.killLeftovers(run.leftovers) }
        #expect(run.leftovers.isEmpty, "\(what): \(run.leftovers.count) processes left: \(run.leftovers)\n\(run.stderr.suffix(1500))")
    }

    static func infra(_ run: HostilePlatform.Measured) throws -> String? {
        let data = try Data(contentsOf: run.runDirectory.appendingPathComponent("results.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["targets"] as? [[String: Any]])?.first?["infra_error"] as? String
    }

    /// Whether a MUST requirement FAILed in the run: under the conformance rule a measured MUST
    /// FAIL outranks INFRA (exit 1 rather than 3), so tests about teardown read the exit from it.
    static func mustFailed(_ run: HostilePlatform.Measured) throws -> Bool {
        try finishedRun(run.runDirectory).targets.flatMap(\.results).contains { $0.level == .must && $0.verdict == .fail }
    }

    @Test("same-group, setsid and double-fork descendants are killed after a normal end")
    func normalEnd() async throws {
        let run = try await HostilePlatform(scenario: "descendants-normal").run()
        Self.expectNothingLeft(run, "normal end")
        let infra = try Self.infra(run)
        #expect(infra == nil, "\(infra ?? "")")
    }

    @Test("... after an INFRA end")
    func infraEnd() async throws {
        let run = try await HostilePlatform(scenario: "descendants").run()
        Self.expectNothingLeft(run, "INFRA end")
        #expect(run.status == 3)
        #expect(try Self.infra(run)?.contains("protocol 99") == true)
    }

    @Test("... after avps itself is SIGKILLed (the orphan guard finds them by the launch's marker)")
    func avpsKilled() async throws {
        let run = try await HostilePlatform(scenario: "descendants-silent", extraArguments: ["--boot-timeout", "60"])
            .run(killAfter: .seconds(4))
        Self.expectNothingLeft(run, "avps SIGKILL")
        #expect(run.status == 9 || run.status == 137 || run.status == -9 || run.wall < .seconds(10), "status \(run.status)")
    }

    @Test("a daemonizing start whose stop never returns: the stop is killed at its deadline, INFRA names it, the daemon dies")
    func stopNeverReturns() async throws {
        let run = try await HostilePlatform(scenario: "daemon-normal", stop: true, extraArguments: ["--run-timeout", "60"]).run()
        Self.expectNothingLeft(run, "stop hangs")
        #expect(run.wall < .seconds(50), "took \(run.wall)")
        // The verdicts were measured before the stop hung: a MUST the fake platform fails makes it
        // NOT CONFORMANT (1); otherwise the teardown's INFRA decides (3).
        #expect(run.status == (try Self.mustFailed(run) ? 1 : 3), "status \(run.status)")
        let infra = try Self.infra(run) ?? ""
        #expect(infra.contains("stop command") && infra.contains("did not finish within 20.0 s"), "\(infra)")
    }

    @Test("--run-timeout bounds the whole process: a guest that never gets ready is cut off at the run's limit")
    func runTimeout() async throws {
        let run = try await HostilePlatform(scenario: "descendants-silent",
                                            extraArguments: ["--boot-timeout", "120", "--run-timeout", "5"]).run()
        Self.expectNothingLeft(run, "run timeout")
        #expect(run.status == 3)
        #expect(run.wall < .seconds(25), "took \(run.wall)")
        #expect(try Self.infra(run)?.contains("run timeout of 5 s reached") == true)
    }

    @Test("a second SIGTERM forces the exit at once, and still nothing is left")
    func secondSignal() async throws {
        // The first SIGTERM starts an orderly shutdown that the hanging stop command keeps busy.
        let platform = HostilePlatform(scenario: "daemon-silent", stop: true, extraArguments: ["--boot-timeout", "120"])
        let run = try await platform.run(signals: [(.seconds(4), SIGTERM), (.seconds(6), SIGTERM)])
        Self.expectNothingLeft(run, "second SIGTERM")
        #expect(run.status == 3)
        #expect(run.wall < .seconds(15), "took \(run.wall)")
        #expect(run.stderr.contains("second SIGTERM"), "\(run.stderr.suffix(800))")
    }
}
