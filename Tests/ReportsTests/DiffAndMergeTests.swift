import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct DiffTests {
    let diff = RunDiff(baseline: Fixtures.baseline, current: Fixtures.current, tolerance: 0.1)

    func change(_ target: String, _ key: String) -> RunDiff.Change? {
        diff.changes.first { $0.target.hasPrefix(target + " ") && $0.key == key }
    }

    @Test func classifiesVerdictChanges() {
        #expect(change("vendor-a", "AVPS2-STOR-01")?.kind == .regression)
        #expect(change("vendor-a", "AVPS2-RNG-01")?.kind == .fix)
        #expect(change("vendor-a", "AVPS2-VSOCK-01")?.kind == .newlyNotApplicable)
        #expect(change("vendor-b", "AVPS2-VSOCK-01")?.kind == .regression, "SKIPPED -> FAIL")
        #expect(change("vendor-a", "AVPS2-GEN-01") == nil, "unchanged verdicts are not listed")
        #expect(diff.regressions.count == 2 && diff.hasRegression)
    }

    @Test func measurementsBeyondToleranceOnly() {
        #expect(diff.measurements.map(\.figure) == ["entropy.rate[virtio1].bytes_per_second"])
        #expect(diff.measurements.first?.relativeChange == -0.5)
        let strict = RunDiff(baseline: Fixtures.baseline, current: Fixtures.current, tolerance: 0.01)
        #expect(strict.measurements.map(\.figure).contains("host.boot_to_agent_s"), "4 % > 1 %")
    }

    @Test func identicalRunsHaveNoChanges() {
        let same = RunDiff(baseline: Fixtures.current, current: Fixtures.current, tolerance: 0)
        #expect(same.changes.isEmpty && same.measurements.isEmpty && !same.hasRegression)
        #expect(RunDiffText.text(same) == "outcome vendor-a [avps-2.0]: NOT CONFORMANT -> NOT CONFORMANT\n"
                + "outcome vendor-b [avps-2.0]: NOT CONFORMANT -> NOT CONFORMANT\nno regressions\n")
    }

    @Test func aVanishedTargetIsARegression() {
        var current = Fixtures.current
        current.targets.removeLast()
        let gone = RunDiff(baseline: Fixtures.baseline, current: current, tolerance: 0.1)
        #expect(gone.regressions.filter { $0.target.hasPrefix("vendor-b") }.count == 4)
        #expect(gone.regressions.allSatisfy { $0.after == nil || $0.target.hasPrefix("vendor-a") })
    }

    @Test func hostileDiffOutputIsSafe() {
        var current = Fixtures.hostileRun
        current.targets[0].results[0].verdict = .fail
        let hostile = RunDiff(baseline: Fixtures.hostileRun, current: current, tolerance: 0.1)
        let text = RunDiffText.text(hostile)
        #expect(!text.contains("\u{1b}") && !text.contains("\u{0}"))
        #expect(text.split(separator: "\n").count == 4, "outcome, kind, change, verdict: \(text)")
        let markdown = RunDiffText.markdown(hostile)
        #expect(!markdown.contains("<script"))
        let row = markdown.split(separator: "\n").first { $0.hasPrefix("| regression") } ?? ""
        #expect(row.components(separatedBy: " | ").count == 7, "hostile pipes stay escaped: \(row)")
    }
}

@Suite struct MergeTests {
    @Test func mergesShardsAndCopiesTheirArtifacts() throws {
        let root = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var shards: [LoadedRun] = []
        for (index, target) in Fixtures.current.targets.enumerated() {
            let directory = root.appendingPathComponent("shard\(index)")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(target.name),
                                                    withIntermediateDirectories: true)
            try Data("serial of \(target.name)\n".utf8).write(to: directory.appendingPathComponent("\(target.name)/serial.log"))
            var run = Fixtures.night([target])
            run.startedAt = Fixtures.started.addingTimeInterval(Double(index) * 60)
            run.finishedAt = run.startedAt.addingTimeInterval(30)
            try ReportWriter.write(run, to: directory)
            shards.append(try LoadedRun.load(directory.path))
        }
        let output = root.appendingPathComponent("merged")
        let merged = try RunMerge.merge(shards, into: output)
        #expect(merged.targets.map(\.name) == ["vendor-a", "vendor-b"])
        #expect(merged.startedAt == Fixtures.started)
        #expect(merged.finishedAt == Fixtures.started.addingTimeInterval(90))
        #expect(merged.targets[1].artifacts["serial_log"] == "shard-2/vendor-b/serial.log")
        #expect(try String(contentsOf: output.appendingPathComponent("shard-2/vendor-b/serial.log"), encoding: .utf8)
            == "serial of vendor-b\n")
        #expect(try LoadedRun.load(output.path).run == merged)
    }

    @Test func tenRunsMergeIntoOneMatrix() throws {
        let runs = (1...10).map { night in
            LoadedRun(directory: URL(fileURLWithPath: "/runs/\(night)"),
                      run: Fixtures.night([Fixtures.probedTarget(name: "vendor-\(night)", adapter: "qemu", rate: Double(night * 100),
                                                                 bootSeconds: 4, verdicts: [.pass, .pass, .fail, .pass])]),
                      label: "run-\(night)")
        }
        let matrix = Matrix(runs, outputDirectory: URL(fileURLWithPath: "/runs/matrix"), hasReport: { _ in true })
        #expect(matrix.columns.count == 10 && matrix.rows.count == 4)
        let html = MatrixHTML.render(matrix, generated: Fixtures.started)
        #expect(html.contains(#"<a href="../10/report.html#t1-AVPS2-STOR-01""#))
        #expect(html.components(separatedBy: "<figure class=\"figure\">").count - 1 >= 1)
        #expect(html.contains("<strong>0 of 10</strong>"), "every vendor fails the entropy MUST")
    }
}
