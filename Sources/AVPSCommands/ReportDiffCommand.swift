import ArgumentParser
import Foundation
import Reports

/// `avps report diff BASELINE CURRENT`: the nightly gate.
struct ReportDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Regressions, fixes, newly not-applicable requirements and changed measurements between two runs.",
        discussion: "Exits 1 when CURRENT has a regression against BASELINE, 0 otherwise, 2 on bad input.")

    @Argument(help: "The baseline run directory (or results.json), e.g. last night's.")
    var baseline: String

    @Argument(help: "The current run directory (or results.json).")
    var current: String

    @Option(help: "Relative change of a measured figure worth reporting, e.g. 10% or 0.1.")
    var tolerance: String = "10%"

    @Option(help: "text or markdown.")
    var format: String = "text"

    func run() throws {
        guard let fraction = Self.parseTolerance(tolerance) else {
            throw ValidationError("--tolerance must be a percentage like 10% or a fraction like 0.1 (got \(tolerance))")
        }
        guard ["text", "markdown"].contains(format) else { throw ValidationError("--format must be text or markdown") }
        let runs = try ReportFailure.load([baseline, current])
        let diff = RunDiff(baseline: runs[0].run, current: runs[1].run, tolerance: fraction)
        print(format == "markdown" ? RunDiffText.markdown(diff) : RunDiffText.text(diff), terminator: "")
        if diff.hasRegression { throw ExitCode(1) }
    }

    static func parseTolerance(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value = trimmed.hasSuffix("%") ? Double(trimmed.dropLast()).map { $0 / 100 } : Double(trimmed)
        guard let value, value.isFinite, value >= 0 else { return nil }
        return value
    }
}
