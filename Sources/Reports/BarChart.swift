/// A horizontal bar chart as inline SVG, for measured figures (probe facts, host observations,
/// the same figure across targets in a matrix).
///
/// Bars of one chart share one scale, so a chart should only hold values of one unit: callers
/// chart one figure across targets, or one target's figures each against its own maximum
/// (`perBarScale`), never seconds next to bytes on a common axis. Every label and value is also
/// in the `<title>` of its bar and in the table the caller prints next to the chart.
enum BarChart {
    struct Bar {
        var label: String
        var value: Double
    }

    static let width = 640.0
    static let labelWidth = 240.0
    static let rowHeight = 20.0

    /// - Parameter perBarScale: every bar is drawn full length with its value written beside it
    ///   (for unrelated figures); otherwise bars are proportional to the largest value.
    static func render(_ bars: [Bar], caption: String, perBarScale: Bool = false) -> HTML {
        guard !bars.isEmpty else { return "" }
        let largest = bars.map { abs(finite($0.value)) }.max() ?? 0
        let room = width - labelWidth - 90
        let rows = bars.enumerated().map { index, bar -> HTML in
            let y = Double(index) * rowHeight + 4
            let fraction = perBarScale || largest == 0 ? (bar.value == 0 ? 0 : 1) : abs(finite(bar.value)) / largest
            let length = max(fraction * room, 1)
            let value = format(bar.value)
            return """
            <g><title>\(bar.label): \(value)</title>\
            <text x="4" y="\(StageChart.number(y + 13))">\(clipped(bar.label))</text>\
            <rect class="bar" x="\(StageChart.number(labelWidth))" y="\(StageChart.number(y))" \
            width="\(StageChart.number(length))" height="14"></rect>\
            <text x="\(StageChart.number(labelWidth + length + 4))" y="\(StageChart.number(y + 13))">\(value)</text></g>
            """
        }
        let height = Double(bars.count) * rowHeight + 8
        return """
        <svg class="figures" role="img" aria-label="\(caption)" width="\(StageChart.number(width))" \
        height="\(StageChart.number(height))" viewBox="0 0 \(StageChart.number(width)) \(StageChart.number(height))">
        \(HTML.joined(rows, separator: "\n"))
        </svg>
        """
    }

    /// Numbers as people read them: integers without a fraction, others with up to 3 decimals.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return String(describing: value) }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let thousandths = (value * 1000).rounded() / 1000
        return String(thousandths)
    }

    private static func clipped(_ label: String) -> String {
        label.count > 34 ? String(label.prefix(33)) + "…" : label
    }

    private static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
}
