import AVPSModel
import Foundation
import Reports

/// What `run` and `score` print once the reports are written: the text summary, then where the
/// three reports are.
enum RunSummaryOutput {
    static func print(_ run: RunResult, written: [String: URL]) {
        Swift.print(TextSummary.render(run))
        for name in ["report.html", "junit.xml", "results.json"] {
            if let url = written.first(where: { $0.value.lastPathComponent == name })?.value {
                Swift.print("\(name): \(url.path)")
            }
        }
    }
}
