import AVPSModel
import Foundation

/// matrix.md and matrix.csv: the same matrix for wikis, mailing lists and spreadsheets.
public enum MatrixText {
    public static let markdownFileName = "matrix.md"
    public static let csvFileName = "matrix.csv"

    /// A GitHub-flavoured Markdown table; each verdict links to the run's report row.
    public static func markdown(_ matrix: Matrix) -> String {
        var lines = ["# AVPS interoperability matrix", ""]
        let header = matrix.columns.map { column in
            "\(md(column.target)) \(column.status.rawValue)<br>\(md(column.vendor)) \(md(column.version))<br>\(md(column.guest))<br>run \(md(column.run))"
        }
        lines.append("| Requirement | Level | " + header.joined(separator: " | ") + " |")
        lines.append("|---|---|" + String(repeating: "---|", count: matrix.columns.count))
        for group in matrix.rowsByCategory {
            lines.append("| **\(md(group.category))** | |" + String(repeating: " |", count: matrix.columns.count))
            for row in group.rows {
                let cells = matrix.columns.indices.map { index -> String in
                    guard let result = row.cells[index] else { return "–" }
                    let word = Conformance.word(for: result)
                    guard let href = matrix.columns[index].href(for: row.key) else { return word }
                    return "[\(word)](<\(mdLink(href))>)"
                }
                lines.append("| `\(code(row.key))` \(md(row.title)) | \(row.level.rawValue) | "
                    + cells.joined(separator: " | ") + " |")
            }
        }
        lines.append("")
        for group in matrix.rowsByCategory {
            let card = CategoryCard(category: group.category, rows: group.rows, matrix: matrix)
            lines.append("- **\(md(group.category))**: \(card.passing.count) of \(card.assessed.count) implementation(s) "
                + "where a MUST applied have every MUST decided")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV, one row per requirement and one verdict column per implementation. Every field
    /// is quoted; a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is
    /// prefixed with `'` so it stays text.
    public static func csv(_ matrix: Matrix) -> String {
        var records = [["requirement", "title", "category", "level"] + matrix.columns.map(\.label),
                       ["outcome", "", "", ""] + matrix.columns.map(\.status.rawValue)]
        for row in matrix.rows {
            records.append([row.key, row.title, row.category, row.level.rawValue]
                + row.cells.map { $0.map(Conformance.word(for:)) ?? "" })
        }
        return records.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func csvField(_ text: String) -> String {
        var value = TextSanitizing.xmlLegal(text)
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Markdown text: HTML-escaped (renderers pass raw HTML through), Markdown punctuation
    /// backslash-escaped, line breaks and controls flattened so a value cannot break the table.
    static func md(_ text: String) -> String {
        var out = ""
        for scalar in TextSanitizing.terminalLine(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|": out += "\\|"
            case "\\", "`", "*", "_", "[", "]", "(", ")", "#", "!", "~": out += "\\" + String(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text inside a code span: no backticks or pipes can end it or the table cell.
    static func code(_ text: String) -> String {
        TextSanitizing.terminalLine(text).replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "¦")
    }

    /// A link target in `<…>` form: percent-encode everything that could end it.
    static func mdLink(_ href: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.insert("#")
        allowed.remove(charactersIn: "<>()[]?; ")
        return href.addingPercentEncoding(withAllowedCharacters: allowed) ?? "#"
    }
}
