import AVPSModel
import Foundation

/// matrix.html: the interoperability matrix as one self-contained page (same rules as report.html:
/// inline CSS and SVG, no script, every data string escaped through `HTML`).
public enum MatrixHTML {
    public static let fileName = "matrix.html"

    public static func render(_ matrix: Matrix, generated: Date) -> String {
        let header = HTML.joined(matrix.columns.map { column -> HTML in
            let name: HTML = column.reportHref.map { "<a href=\"\(percentEncoded($0))\">\(column.target)</a>" }
                ?? "\(column.target)"
            return """
            <th scope="col">\(name) \(HTMLReport.statusBadge(column.status))<br><small>\(column.vendor) · \(column.version)<br>\(column.guest)<br>\
            run \(column.run) · \(column.profile)</small></th>
            """
        })
        let body = HTML.joined(matrix.rowsByCategory.map { group -> HTML in
            let span = matrix.columns.count + 2
            let rows = group.rows.map { row -> HTML in
                let cells = HTML.joined(matrix.columns.indices.map { index in cell(row, column: index, matrix: matrix) })
                return "<tr><th scope=\"row\"><code>\(row.key)</code> \(row.title)</th><td>\(row.level.rawValue)</td>\(cells)</tr>"
            }
            return """
            <tr class="category"><th colspan="\(span)" scope="rowgroup">\(group.category)</th></tr>
            \(HTML.joined(rows, separator: "\n"))
            """
        }, separator: "\n")
        let cards = HTML.joined(matrix.rowsByCategory.map {
            cardSection(CategoryCard(category: $0.category, rows: $0.rows, matrix: matrix), matrix: matrix)
        }, separator: "\n")
        let page: HTML = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>avps interoperability matrix</title>
        <style>\(HTMLStyle.css)</style>
        </head>
        <body>
        <header><h1>AVPS interoperability matrix</h1>
        <p>\(matrix.columns.count) implementation(s), \(matrix.rows.count) requirement(s). Generated \
        \(Timestamps.iso8601Millis(generated)). Each verdict links to its reason and evidence in the run's report.</p>
        </header>
        <main>
        <table class="matrix">
        <thead><tr><th scope="col">Requirement</th><th scope="col">Level</th>\(header)</tr></thead>
        <tbody>
        \(body)
        </tbody>
        </table>
        <h2 id="cards">Evaluation by category</h2>
        \(cards)
        </main>
        </body>
        </html>

        """
        return page.markup
    }

    private static func cell(_ row: Matrix.Row, column index: Int, matrix: Matrix) -> HTML {
        guard let result = row.cells[index] else { return "<td class=\"absent\">–</td>" }
        let badge = HTMLReport.badge(result)
        if let href = matrix.columns[index].href(for: row.key) {
            return "<td><a href=\"\(percentEncoded(href))\" title=\"\(result.reason)\">\(badge)</a></td>"
        }
        return "<td title=\"\(result.reason)\">\(badge)</td>"
    }

    /// Hrefs are built here from file paths, but run directories can have any name: encode them.
    private static func percentEncoded(_ href: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.insert("#")
        allowed.remove(charactersIn: "?;")
        return href.addingPercentEncoding(withAllowedCharacters: allowed) ?? "#"
    }

    private static func cardSection(_ card: CategoryCard, matrix: Matrix) -> HTML {
        let offered = HTML.joined(matrix.columns.indices.map { index -> HTML in
            let state = card.passing.contains(index) ? "every MUST decided"
                : card.assessed.contains(index) ? "a MUST failed or is undecided" : "no MUST applied"
            return "<tr><th scope=\"row\">\(matrix.columns[index].label)</th><td>\(state)</td><td>\(card.offered[index])</td></tr>"
        })
        let figures = FigureCharts.render(card.columns, caption: "Measured figures, \(card.category)",
                                          only: card.includes(source:))
        let performance: HTML = figures.markup.isEmpty ? "<p>No measured figures for this category.</p>" : figures
        return """
        <section class="card" aria-labelledby="card-\(Anchors.encode(card.category))">
        <h3 id="card-\(Anchors.encode(card.category))">\(card.category)</h3>
        <p><strong>\(card.passing.count) of \(card.assessed.count)</strong> implementation(s) where a MUST \
        applied have every MUST requirement of this category decided (passed, waived or attested) (of \(matrix.columns.count) in the matrix).</p>
        <table><caption>Availability and features offered</caption>
        <thead><tr><th scope="col">Implementation</th><th scope="col">MUST requirements</th>\
        <th scope="col">Devices and feature bits</th></tr></thead>
        <tbody>\(offered)</tbody></table>
        \(performance)
        </section>
        """
    }
}
