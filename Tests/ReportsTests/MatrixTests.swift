import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct MatrixTests {
    static let matrix = GoldenTests.matrix([Fixtures.baseline, Fixtures.hostileRun])

    @Test func cellsLinkToTheirReportRows() {
        let html = MatrixHTML.render(Self.matrix, generated: Fixtures.started)
        #expect(html.contains(#"<a href="../runs/night-1/report.html#t2-AVPS2-STOR-01" title="reason for PASS">"#))
        let markdown = MatrixText.markdown(Self.matrix)
        #expect(markdown.contains("[PASS](<../runs/night-1/report.html#t1-AVPS2-GEN-01>)"))
        // The anchor the matrix links to exists in that run's report.html.
        #expect(HTMLReport.render(Fixtures.baseline).contains(#"<tr id="t2-AVPS2-STOR-01" class="r-decided">"#))
    }

    @Test func hostileStringsStayEscapedInHTML() throws {
        let html = MatrixHTML.render(Self.matrix, generated: Fixtures.started)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("\u{0}") && !html.contains("\u{1b}"))
        #expect(html.firstMatch(of: try Regex(#"(?i)(src|href)\s*=\s*["']?\s*(https?:|//|javascript:)"#)) == nil)
        #expect(html.contains("vendor &lt;script&gt;"))
    }

    @Test func markdownTableKeepsItsShape() {
        let markdown = MatrixText.markdown(Self.matrix)
        #expect(!markdown.lowercased().contains("<script"))
        #expect(!markdown.contains("\u{1b}") && !markdown.contains("\u{0}"))
        let tableRows = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
        // Every row has the same number of unescaped cell separators as the header.
        func cells(_ line: Substring) -> Int { line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count }
        let header = cells(tableRows[0])
        #expect(header == 2 + Self.matrix.columns.count + 1)
        for row in tableRows { #expect(cells(row) == header, "\(row)") }
    }

    /// Python's csv module (a real consumer) reads back every field exactly, and no field starts
    /// like a spreadsheet formula.
    @Test func csvParsesBackWithPython() throws {
        let file = try ExternalTools.write(Data(MatrixText.csv(Self.matrix).utf8), name: "matrix.csv")
        let script = """
        import csv, sys
        rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
        print(len(rows), len({len(r) for r in rows}))
        bad = [f for r in rows for f in r if f[:1] in ("=", "+", "-", "@")]
        print(len(bad))
        print(rows[0][5])
        """
        let output = try ExternalTools.run("python3", ["-c", script, file.path])
        guard ExternalTools.requireTool(output, "python3", hint: "install python3") else { return }
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(output.stdout)\(output.stderr)")
        #expect(lines.first == "\(Self.matrix.rows.count + 2) 1",
                "one record per requirement plus header and outcome row, all the same width")
        #expect(lines.dropFirst().first == "0")
        #expect(lines.last == "vendor-b @ night-1")
    }

    @Test func categoryCardsCountImplementations() {
        let storage = CategoryCard(category: "storage", rows: Self.matrix.rows.filter { $0.category == "storage" },
                                   matrix: Self.matrix)
        #expect(storage.assessed == [0, 1, 2] && storage.passing == [0, 1])
        #expect(storage.offered[0] == "block virtio0: offered 5 bits [1,2,9,32,33]")
        #expect(storage.includes(source: "block.integrity") && !storage.includes(source: "entropy.rate"))
        let entropy = CategoryCard(category: "entropy", rows: Self.matrix.rows.filter { $0.category == "entropy" },
                                   matrix: Self.matrix)
        #expect(entropy.offered[0] == "entropy virtio1: negotiated [32] (offered not measured)")
    }

    @Test func anchorsAreUniqueAndURLSafe() {
        #expect(Anchors.requirement(target: 1, key: "AVPS2-STOR-01") == "t1-AVPS2-STOR-01")
        #expect(Anchors.encode("a b/é") == "a_20b_2F_C3_A9")
        #expect(Anchors.encode("a_b") != Anchors.encode("a b"))
    }
}
