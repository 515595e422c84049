import ArgumentParser
import Foundation
import Reports

/// `avps report merge RUN... --out DIR`: shards into one run directory.
struct ReportMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join runs (shards) into one run directory with one results.json, junit.xml and report.html.")

    @Argument(help: "Run directories (or their results.json).")
    var runs: [String]

    @Option(help: "Output run directory.")
    var out: String

    func run() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run directory") }
        let loaded = try ReportFailure.load(runs)
        let directory = URL(fileURLWithPath: out).standardizedFileURL
        do {
            let merged = try RunMerge.merge(loaded, into: directory)
            print("merged \(loaded.count) run(s), \(merged.targets.count) target(s): \(directory.path)")
        } catch { throw ReportFailure.exit(error) }
    }
}

/// `avps report recover RUN`: assemble results.json (and the other reports) from the journal of
/// a run that crashed or was killed.
struct ReportRecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild results.json, junit.xml and report.html from a run's results.journal.jsonl.")

    @Argument(help: ArgumentHelp("The run directory.", valueName: "run"))
    var runPath: String

    func run() throws {
        do {
            let recovery = try ResultsJournal.recover(runDirectory: URL(fileURLWithPath: runPath))
            let state = recovery.wasFinished ? "the run had finished" : "the run did not finish"
            print("recovered \(recovery.run.targets.count) target(s); \(state)")
            if !recovery.unreadableLines.isEmpty {
                print("skipped unreadable journal line(s): \(recovery.unreadableLines.map(String.init).joined(separator: ", "))")
            }
        } catch { throw ReportFailure.exit(error) }
    }
}

/// `avps report render RUN`: rewrite junit.xml and report.html from results.json (after an avps
/// upgrade, a merge by hand, or for the benchmark).
struct ReportRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Re-render results.json, junit.xml and report.html of a run from its results.json.")

    @Argument(help: ArgumentHelp("The run directory (or its results.json).", valueName: "run"))
    var runPath: String

    @Option(help: "Output directory (default: the run directory).")
    var out: String?

    @Flag(help: "Print how long each format took to stderr.")
    var timings = false

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let loaded = try ReportFailure.load([runPath])
        let decoded = clock.now
        let directory = out.map { URL(fileURLWithPath: $0) } ?? loaded[0].directory
        do { try ReportWriter.write(loaded[0].run, to: directory) } catch { throw ReportFailure.exit(error) }
        let written = clock.now
        if timings {
            let run = loaded[0].run
            let results = run.targets.reduce(0) { $0 + $1.results.count }
            Console.info("\(results) requirement results: read \(decoded - start), "
                + "render and write JSON + JUnit + HTML \(written - decoded)")
            let json = clock.measure { _ = try? ResultsJSON.encode(run) }
            let junit = clock.measure { _ = try? JUnitReport.render(run) }
            let html = clock.measure { _ = HTMLReport.render(run) }
            Console.info("render only: JSON \(json), JUnit \(junit), HTML \(html)")
        }
    }
}
