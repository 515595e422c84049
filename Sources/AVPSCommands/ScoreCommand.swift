import AVPSModel
import ArgumentParser
import Foundation
import Reports
import Runner

/// `avps score --from-console LOG [SUITE] --out DIR`: scores a target from the evidence its agent
/// printed in autonomous mode (`avps guest plan`, PROTOCOL.md 8), for boards a farm reaches only
/// by serial console. Requirements that need a host attached are SKIPPED with that reason.
/// Signed vendor attestations (`--attestation`/`--trust-key`, or the suite's `attestations:`) are
/// verified and applied exactly as `avps run` does: checked before the log is read, copied into
/// `<out>/attestations/`, and ATTESTED only where the evidence left a row UNTESTED or SKIPPED.
///
/// Exit codes as `avps run` (0 conformant, 1 a MUST failed, 2 usage or a refused attestation,
/// 3 no usable evidence, 4 incomplete).
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a target from the console log of an autonomous agent run and write the reports.")

    @Option(name: .customLong("from-console"), help: "Console (serial) log holding the agent's AVPS-EV1 lines.")
    var fromConsole: String

    @Argument(help: "The suite the plan was made from (default: Suites/default.yaml).")
    var suite: String?

    @Option(help: "Target name (needed when the suite has several).")
    var target: String?

    @Option(help: "Run directory to write results.json, junit.xml and report.html into.")
    var out: String

    @OptionGroup var attestation: AttestationOptions

    /// A console log longer than this is not a log of one autonomous run.
    static let logLimit = 256 << 20

    func run() async throws {
        let code = await execute()
        if code != .allMustPass { throw ExitCode(code.rawValue) }
    }

    private func execute() async -> RunOutcome {
        do {
            let selection = try SuiteSelection.load(suite: suite, target: target)
            // Verified before anything is read or written, as `avps run` does before it boots.
            let attestations = try VerifiedAttestations.load(selection.attestations + attestation.sources(),
                                                             profiles: selection.profiles.map(\.profile),
                                                             targets: selection.targetNames)
            let log = try Self.readLog(fromConsole)
            let started = Date()
            let directory = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let attested = try attestations.install(into: directory)[selection.target.name] ?? [:]
            let targets = await AutonomousScoring.score(log: log, target: selection.target, profiles: selection.profiles,
                                                        attestations: attested)
            let run = AutonomousScoring.runResult(targets, toolVersion: AVPSCommand.version, startedAt: started)
            let written = try ReportWriter.write(run, to: directory)
            RunSummaryOutput.print(run, written: written)
            return RunOutcome.of(run.targets)
        } catch {
            return ErrorReporting.report(error)
        }
    }

    static func readLog(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            throw ValidationError("\(path): cannot read the console log (no such file?)")
        }
        guard size <= logLimit else {
            throw ValidationError("\(path): \(size) bytes is more than one autonomous run's console log (limit \(logLimit >> 20) MiB)")
        }
        let data = try Data(contentsOf: url)
        return String(decoding: data, as: UTF8.self)
    }
}
