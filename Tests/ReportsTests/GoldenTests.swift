import AVPSModel
import Foundation
import Testing
@testable import Reports

/// Every output format against a recorded file. Dates in the fixtures are fixed, so the output
/// is deterministic; after an intended change, re-record with `AVPS_RECORD_GOLDEN=1 swift test
/// --filter GoldenTests` and review the diff of `Tests/ReportsTests/Golden/`.
@Suite struct GoldenTests {
    static let directory = ExternalTools.packageRoot.appendingPathComponent("Tests/ReportsTests/Golden")
    static let recording = ProcessInfo.processInfo.environment["AVPS_RECORD_GOLDEN"] == "1"

    static func matrix(_ runs: [RunResult]) -> Matrix {
        let loaded = runs.enumerated().map { index, run in
            LoadedRun(directory: URL(fileURLWithPath: "/plugfest/runs/night-\(index + 1)"), run: run, label: "night-\(index + 1)")
        }
        return Matrix(loaded, outputDirectory: URL(fileURLWithPath: "/plugfest/matrix"), hasReport: { _ in true })
    }

    static func outputs() throws -> [(String, String)] {
        let probed = Fixtures.current
        let diff = RunDiff(baseline: Fixtures.baseline, current: Fixtures.current, tolerance: 0.1)
        let matrix = matrix([Fixtures.baseline, Fixtures.current])
        return [
            ("results.json", String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)),
            ("junit.xml", try JUnitReport.render(Fixtures.run)),
            ("report.html", HTMLReport.render(Fixtures.run)),
            ("summary.txt", TextSummary.render(Fixtures.run)),
            ("probed-results.json", String(decoding: try ResultsJSON.encode(probed), as: UTF8.self)),
            ("probed-junit.xml", try JUnitReport.render(probed)),
            ("probed-report.html", HTMLReport.render(probed)),
            ("matrix.html", MatrixHTML.render(matrix, generated: Fixtures.started)),
            ("matrix.md", MatrixText.markdown(matrix)),
            ("matrix.csv", MatrixText.csv(matrix)),
            ("diff.txt", RunDiffText.text(diff)),
            ("diff.md", RunDiffText.markdown(diff)),
            ("outcome-results.json", String(decoding: try ResultsJSON.encode(Fixtures.outcomes), as: UTF8.self)),
            ("outcome-junit.xml", try JUnitReport.render(Fixtures.outcomes)),
            ("outcome-report.html", HTMLReport.render(Fixtures.outcomes)),
            ("outcome-summary.txt", TextSummary.render(Fixtures.outcomes)),
            ("outcome-matrix.md", MatrixText.markdown(Self.matrix([Fixtures.outcomes]))),
            ("outcome-matrix.csv", MatrixText.csv(Self.matrix([Fixtures.outcomes]))),
            ("outcome-matrix.html", MatrixHTML.render(Self.matrix([Fixtures.outcomes]), generated: Fixtures.started)),
            ("outcome-lava.txt", LavaTestCases.lines(Fixtures.outcomes).joined(separator: "\n") + "\n"),
            ("outcome-bundle.txt", CertificationBundle.summary(Fixtures.outcomes) + "\n"),
            ("bundle-manifest.sha256", CertificationBundle.manifestText([
                TarArchive.Entry(path: "results.json", data: try ResultsJSON.encode(Fixtures.run)),
                TarArchive.Entry(path: "t/serial.log", data: Data("serial\n".utf8)),
            ])),
        ]
    }

    @Test(arguments: try outputs())
    func matchesGolden(name: String, output: String) throws {
        let url = Self.directory.appendingPathComponent(name)
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try Data(output.utf8).write(to: url)
            return
        }
        guard let golden = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no golden file \(name); record with AVPS_RECORD_GOLDEN=1")
            return
        }
        if golden != output {
            let firstDifference = zip(golden.split(separator: "\n", omittingEmptySubsequences: false),
                                      output.split(separator: "\n", omittingEmptySubsequences: false))
                .enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("""
                \(name) differs from its golden file at line \((firstDifference?.offset ?? -1) + 1):
                golden: \(firstDifference?.element.0 ?? "")
                actual: \(firstDifference?.element.1 ?? "")
                (re-record with AVPS_RECORD_GOLDEN=1 if the change is intended)
                """)
        }
    }

    /// Rendering is deterministic: the same input twice gives the same bytes (the golden files
    /// would otherwise be flaky).
    @Test func renderingIsDeterministic() throws {
        let first = try Self.outputs().map(\.1)
        let second = try Self.outputs().map(\.1)
        #expect(first == second)
    }
}
