import AVPSModel
import Foundation
import HypervisorCore
import Reports
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Runner

/// The whole TargetRunner against an agent that misbehaves at the byte level (no QEMU): every
/// scenario must end promptly as INFRA naming the stage, keep the stages that completed, and
/// leave reports that render and parse. Serialized: twelve agents each pushing megabytes at a
/// debug build on a loaded 2-core host starved one another past their deadlines in CI.
@Suite("Hostile agent at the socket layer", .serialized, .timeLimit(.minutes(5)))
struct HostileAgentTests {
    static let timeouts = RunTimeouts(boot: .seconds(10), request: .seconds(10))
    /// For scenarios that must finish their exchange before a deadline (an oversized frame, bad
    /// JSON): on a CI host running dozens of guests the host side was seen starved past 10 s.
    static let patientTimeouts = RunTimeouts(boot: .seconds(30), request: .seconds(30))

    static let profile: LoadedProfile? = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Profiles/avps-2.0.yaml")
            if FileManager.default.fileExists(atPath: candidate.path) { return try? LoadedProfile.load(candidate) }
        }
        return nil
    }()

    @Test(arguments: HostileScenario.all)
    func endsAsInfraNamingTheStage(_ scenario: HostileScenario) async throws {
        let profile = try #require(Self.profile, "Profiles/avps-2.0.yaml not found from \(#filePath)")
        let runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("avps-hostile-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let runner = TargetRunner(hypervisor: ScriptedHypervisor(script: scenario.script),
                                  boot: BootArtifacts(kernel: "none", initrd: "none", kernelCommandLine: ""),
                                  timeouts: scenario.phrase == "timed out" ? Self.timeouts : Self.patientTimeouts)
        let target = TargetSpec(name: "hostile", accelerator: "tcg", devices: [.entropy])
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await runner.run(target, profiles: [profile], artifactDirectory: runDirectory.appendingPathComponent("hostile"),
                                           runDirectory: runDirectory)
        let elapsed = clock.now - start
        // The longest wait is one 10 s timeout (generous so a loaded CI host can still push a 1 MiB
        // frame through in time); anything near a minute means a deadline was ignored.
        #expect(elapsed < .seconds(60), "\(scenario): took \(elapsed)")

        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError, "\(scenario): no INFRA")
        #expect(infra.contains("stage '\(scenario.failedStage)' failed"), "\(scenario): \(infra.prefix(400))")
        #expect(infra.contains(scenario.phrase), "\(scenario): \(infra.prefix(400))")
        #expect(!result.results.isEmpty, "\(scenario)")
        if scenario.completed.contains("inventory") {
            // The fault came after the inventory: its verdicts stand, nothing unmeasured is SKIPPED.
            #expect(result.evidence != nil, "\(scenario): collected evidence dropped")
            #expect(!result.results.contains { $0.verdict == .skipped && $0.reason.contains("was not run") }, "\(scenario)")
        } else {
            #expect(result.results.allSatisfy { $0.verdict == .infra }, "\(scenario)")
        }
        // A MUST that FAILed on the evidence collected before the fault stands (NOT CONFORMANT);
        // otherwise the broken run is INCOMPLETE because of the test bench.
        let mustFailed = result.results.contains { $0.level == .must && $0.verdict == .fail && $0.normative != false }
        #expect(RunOutcome.of(outcome.results) == (mustFailed ? .mustFailed : .infrastructure), "\(scenario)")

        let stages = result.stages
        #expect(stages.contains { $0.stage == "plan" && $0.ok })
        #expect(stages.contains { $0.stage == scenario.failedStage && !$0.ok }, "\(scenario): \(stages.map(\.stage))")
        for completed in scenario.completed {
            #expect(stages.contains { $0.stage == completed && $0.ok }, "\(scenario): \(completed) not kept in \(stages)")
        }
        try Self.reportsRender(result, in: runDirectory)
    }

    /// results.json round-trips, junit.xml is well-formed XML, report.html is complete.
    static func reportsRender(_ result: TargetResult, in directory: URL) throws {
        let now = Date()
        let run = RunResult(toolVersion: "test", startedAt: now, finishedAt: now,
                            host: HostInfo(hostname: "h", kernel: "k", machine: "x86_64", hypervisorVersion: nil),
                            targets: [result])
        let written = try ReportWriter.write(run, to: directory)
        let json = try #require(written[ResultsJSON.fileName])
        let decoded = try ResultsJSON.decode(Data(contentsOf: json))
        #expect(decoded.targets.first?.infraError == result.infraError)
        #expect(decoded.targets.first?.stages.map(\.stage) == result.stages.map(\.stage))

        let junit = try #require(written[JUnitReport.fileName])
        let parser = XMLParser(data: try Data(contentsOf: junit))
        #expect(parser.parse(), "junit.xml is not well-formed: \(String(describing: parser.parserError))")

        let html = String(decoding: try Data(contentsOf: try #require(written[HTMLReport.fileName])), as: UTF8.self)
        #expect(html.hasSuffix("</html>\n") || html.hasSuffix("</html>"), "report.html is truncated")
        #expect(html.contains("hostile"))
    }
}
