import AVPSModel
import Foundation
import Testing
@testable import Reports

/// Every report says whose word the PASS and FAIL verdicts rest on: the text summary and the
/// bundle's certificate line count them, the HTML marks each row and the target.
@Suite struct BasisReportingTests {
    static var run: RunResult {
        var run = Fixtures.run
        var results = run.targets[0].results
        for index in results.indices where [.pass, .fail].contains(results[index].verdict) {
            results[index].basis = [.hostObserved, .hostCorroborated, .guestReported][index % 3]
        }
        run.targets[0].results = results
        return run
    }

    static var counts: [VerdictBasis: Int] {
        Dictionary(grouping: run.targets[0].results.compactMap(\.basis), by: { $0 }).mapValues(\.count)
    }

    @Test func textSummaryCountsEachBasisAndTheGuestsWordAlone() throws {
        let text = TextSummary.render(Self.run)
        let line = try #require(text.split(separator: "\n").first { $0.contains("PASS/FAIL rest on:") })
        for (basis, count) in Self.counts { #expect(line.contains("\(count) \(basis.rawValue)"), "\(line)") }
        if let alone = Self.counts[.guestReported] { #expect(line.contains("(\(alone) on the guest's word alone)")) }
    }

    @Test func htmlMarksEveryDecidedRowAndTheTarget() {
        let html = String(describing: HTMLReport.render(Self.run))
        let marked = html.components(separatedBy: "<span class=\"basis b-").count - 1
        #expect(marked == Self.counts.values.reduce(0, +))
        #expect(html.contains("<dt>Evidence basis</dt>"))
    }

    @Test func certificateLineSaysWhatTheHostSawItself() {
        let line = CertificationBundle.summary(Self.run)
        #expect(line.contains("PASS/FAIL rest on:") && line.contains("host-observed"))
        #expect(!CertificationBundle.summary(Fixtures.run).contains("rest on"), "no basis recorded: nothing claimed")
    }
}
