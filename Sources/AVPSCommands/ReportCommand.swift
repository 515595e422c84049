import ArgumentParser
import Foundation
import Reports

/// `avps report …`: work on finished runs (results.json) without booting anything.
///
/// Exit codes: 0 done (and, for `diff`, no regression), 1 `diff` found a regression,
/// 2 bad command line or an input that cannot be read.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Matrices, diffs and merges of finished runs; re-render or recover a run's reports.",
        subcommands: [ReportMatrixCommand.self, ReportDiffCommand.self, ReportMergeCommand.self,
                      ReportRecoverCommand.self, ReportRenderCommand.self, ReportLavaCommand.self])
}

/// Turns a Reports error into a message and exit status 2 (input or usage trouble).
enum ReportFailure {
    static func exit(_ error: ReportError) -> ExitCode {
        Console.error(error.description)
        return ExitCode(2)
    }

    static func load(_ paths: [String]) throws -> [LoadedRun] {
        do { return try paths.map { path throws(ReportError) in try LoadedRun.load(path) } } catch {
            throw exit(error)
        }
    }
}

/// `avps report matrix RUN... [--out DIR]`: the plugfest view as HTML, Markdown and CSV.
struct ReportMatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Requirements × targets of many runs, as matrix.html, matrix.md and matrix.csv.")

    @Argument(help: "Run directories (or their results.json).")
    var runs: [String]

    @Option(help: "Output directory (default: the current directory).")
    var out: String = "."

    func run() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run directory") }
        let loaded = try ReportFailure.load(runs)
        let directory = URL(fileURLWithPath: out).standardizedFileURL
        let matrix = Matrix(loaded, outputDirectory: directory)
        let files = [(MatrixHTML.fileName, MatrixHTML.render(matrix, generated: Date())),
                     (MatrixText.markdownFileName, MatrixText.markdown(matrix)),
                     (MatrixText.csvFileName, MatrixText.csv(matrix))]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, text) in files {
                try ReportWriter.writeAtomically(Data(text.utf8), to: directory.appendingPathComponent(name))
                print(directory.appendingPathComponent(name).path)
            }
        } catch let error as ReportError {
            throw ReportFailure.exit(error)
        } catch {
            throw ReportFailure.exit(.writeFailed(path: directory.path, reason: error.localizedDescription))
        }
    }
}

/// `avps report lava RUN`: one LAVA test case per target and requirement, as LAVA signals on
/// stdout, for a LAVA test shell (e.g. the docker test shell an exported job adds).
struct ReportLavaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lava",
        abstract: "Print a run's verdicts as LAVA test-case signals (pass, fail, skip, unknown).")

    @Argument(help: "A run directory (or its results.json).")
    var runDirectory: String

    func run() throws {
        for loaded in try ReportFailure.load([runDirectory]) {
            for line in LavaTestCases.lines(loaded.run) { print(line) }
        }
    }
}
