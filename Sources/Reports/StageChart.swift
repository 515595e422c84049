import AVPSModel

/// The bring-up stages of a target as a small inline SVG bar chart (a Gantt strip: where each
/// stage started and how long it took), followed by the same numbers as a table.
///
/// The chart answers "where did the boot time go" at a glance; the table keeps the numbers exact
/// and readable where SVG is not rendered (text browsers, screen readers).
enum StageChart {
    static let width = 640.0
    static let labelWidth = 200.0
    static let rowHeight = 22.0

    static func render(_ stages: [StageTiming]) -> HTML {
        guard !stages.isEmpty else { return "<h3>Stages</h3><p>No stage timings recorded.</p>" }
        let span = max(stages.map { finite($0.startedAt) + finite($0.duration) }.max() ?? 0, 0.001)
        let scale = (width - labelWidth - 70) / span
        let bars = stages.enumerated().map { index, stage -> HTML in
            let y = Double(index) * rowHeight + 4
            let x = labelWidth + finite(stage.startedAt) * scale
            let barWidth = max(finite(stage.duration) * scale, 1)
            let state = stage.ok ? "ok" : "failed"
            let seconds = Timestamps.seconds(stage.duration)
            return """
            <g><title>\(stage.stage): \(state), \(seconds) s</title>\
            <text x="4" y="\(number(y + 14))">\(clipped(stage.stage))</text>\
            <rect class="\(state)" x="\(number(x))" y="\(number(y))" width="\(number(barWidth))" height="16"></rect>\
            <text x="\(number(x + barWidth + 4))" y="\(number(y + 14))">\(seconds) s</text></g>
            """
        }
        let height = Double(stages.count) * rowHeight + 8
        let rows = stages.map { stage -> HTML in
            """
            <tr><td>\(stage.stage)</td><td class="num">\(Timestamps.seconds(stage.startedAt))</td>\
            <td class="num">\(Timestamps.seconds(stage.duration))</td>\
            <td>\(stage.ok ? "ok" : "FAILED")</td></tr>
            """
        }
        return """
        <h3>Stages</h3>
        <svg class="stages" role="img" aria-label="Stage timings, also listed in the table below" \
        width="\(number(width))" height="\(number(height))" viewBox="0 0 \(number(width)) \(number(height))">
        \(HTML.joined(bars, separator: "\n"))
        </svg>
        <table class="stages"><caption>Stage timings (seconds since target start)</caption>
        <thead><tr><th scope="col">Stage</th><th scope="col">Start</th><th scope="col">Duration</th>\
        <th scope="col">Result</th></tr></thead>
        <tbody>\(HTML.joined(rows))</tbody></table>
        """
    }

    /// Coordinates with one decimal, no exponent and no locale.
    static func number(_ value: Double) -> String {
        let tenths = Int((finite(value) * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// Labels longer than the label column are cut (the full name is in the title and the table).
    private static func clipped(_ label: String) -> String {
        label.count > 28 ? String(label.prefix(27)) + "…" : label
    }

    private static func finite(_ value: Double) -> Double { value.isFinite && value > 0 ? value : 0 }
}
