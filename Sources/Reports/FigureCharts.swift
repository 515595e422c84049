/// Measured figures side by side: one small bar chart per figure, one bar per target, so every
/// chart compares values of a single unit. Used by report.html (targets of one run) and by the
/// matrix (targets of many runs). The same numbers follow as a table for readers without SVG.
enum FigureCharts {
    struct Column {
        var label: String
        var figures: [MeasuredFigures.Figure]
    }

    /// - Parameter only: keep only figures whose `source` passes (e.g. the probes of a category).
    static func render(_ columns: [Column], caption: String,
                       only include: (String) -> Bool = { _ in true }) -> HTML {
        var names: [String] = []
        var values: [String: [Int: Double]] = [:]
        for (index, column) in columns.enumerated() {
            for figure in column.figures where include(figure.source) {
                if values[figure.name] == nil { names.append(figure.name) }
                values[figure.name, default: [:]][index] = figure.value
            }
        }
        guard !names.isEmpty else { return "" }
        names.sort()
        let charts = names.map { name -> HTML in
            let bars = columns.indices.compactMap { index in
                values[name]?[index].map { BarChart.Bar(label: columns[index].label, value: $0) }
            }
            let chart = BarChart.render(bars, caption: "\(name) per target, also in the table below")
            return "<figure class=\"figure\"><figcaption><code>\(name)</code></figcaption>\(chart)</figure>"
        }
        let header = HTML.joined(columns.map { "<th scope=\"col\">\($0.label)</th>" })
        let rows = names.map { name -> HTML in
            let cells = HTML.joined(columns.indices.map { index -> HTML in
                "<td class=\"num\">\(values[name]?[index].map(BarChart.format) ?? "–")</td>"
            })
            return "<tr><th scope=\"row\"><code>\(name)</code></th>\(cells)</tr>"
        }
        return """
        \(HTML.joined(charts, separator: "\n"))
        <table class="figures"><caption>\(caption)</caption>
        <thead><tr><th scope="col">Figure</th>\(header)</tr></thead>
        <tbody>\(HTML.joined(rows, separator: "\n"))</tbody></table>
        """
    }
}
