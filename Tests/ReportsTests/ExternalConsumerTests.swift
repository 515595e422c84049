import AVPSModel
import Foundation
import Testing
@testable import Reports

/// The reports read by the real programs that consume them: junitparser (the Python library
/// many CI tools use), and a headless Chromium rendering report.html to a PNG.
@Suite struct ExternalConsumerTests {
    @Test func junitparserReadsCountsAndVerdicts() throws {
        let file = try ExternalTools.write(Data(try JUnitReport.render(Fixtures.run).utf8), name: "junit.xml")
        let script = """
        import sys
        try:
            from junitparser import JUnitXml, Failure, Error, Skipped
        except ImportError:
            print("python module junitparser is not installed (pip install junitparser)"); sys.exit(3)
        xml = JUnitXml.fromfile(sys.argv[1])
        cases = [c for suite in xml for c in suite]
        kinds = {}
        for c in cases:
            for r in c.result:
                kinds[type(r).__name__] = kinds.get(type(r).__name__, 0) + 1
        print(len(cases), xml.tests, xml.failures, xml.errors)
        print(",".join(f"{k}={v}" for k, v in sorted(kinds.items())))
        print(next(c.name for c in cases if c.name.startswith("AVPS2-STOR-01 ")).count("<script>"))
        """
        let output = try ExternalTools.run("python3", ["-c", script, file.path])
        guard ExternalTools.requireTool(output, "python3", hint: "install python3") else { return }
        #expect(output.status != 3, "\(output.stdout) (ci/setup installs it)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(output.stdout)\(output.stderr)")
        // The SHOULD INFRA (AVPS2-VSOCK-02) does not decide conformance: skipped, not an error.
        #expect(lines.first == "12 12 1 4")
        #expect(lines.dropFirst().first == "Error=4,Failure=1,Skipped=5")
        #expect(lines.last == "1", "the hostile title comes back as text, unescaped once")
    }

    /// Chromium renders the page (no network, no script needed) to a non-blank PNG: the
    /// screenshot must be the requested size, much richer than a blank page's, and contain the
    /// FAIL badge's red (#b00020) somewhere in its top part.
    @Test(.timeLimit(.minutes(2))) func chromiumRendersTheReport() throws {
        let directory = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.html"), blank = directory.appendingPathComponent("blank.html")
        try Data(HTMLReport.render(Fixtures.current).utf8).write(to: report)
        try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(to: blank)
        func screenshot(_ page: URL) throws -> URL? {
            let png = directory.appendingPathComponent(page.lastPathComponent + ".png")
            let output = try ExternalTools.run("chromium", [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory.path)/profile",
                "--screenshot=\(png.path)", "--window-size=1200,3000", page.absoluteString])
            guard ExternalTools.requireTool(output, "chromium", hint: "apt install chromium (ci/setup does)") else { return nil }
            #expect(FileManager.default.fileExists(atPath: png.path), "\(output.stderr)")
            return png
        }
        guard let reportPNG = try screenshot(report), let blankPNG = try screenshot(blank) else { return }
        let script = """
        import struct, sys, zlib
        def load(path, max_rows):
            data = open(path, "rb").read()
            assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "not a PNG"
            pos, idat, w, h = 8, b"", 0, 0
            while pos < len(data):
                n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
                if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10]); assert depth == 8 and ctype in (2, 6)
                elif kind == b"IDAT": idat += body
            bpp = 4 if ctype == 6 else 3; stride = w * bpp
            raw = zlib.decompressobj().decompress(idat, (stride + 1) * max_rows)
            rows, prev = [], bytearray(stride)
            for y in range(min(h, max_rows, len(raw) // (stride + 1))):
                f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                    if f == 1: line[i] = (line[i] + a) & 255
                    elif f == 2: line[i] = (line[i] + b) & 255
                    elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                rows.append(bytes(line)); prev = line
            return w, h, bpp, rows, len(data)
        w, h, bpp, rows, size = load(sys.argv[1], 900)
        _, _, _, _, blank_size = load(sys.argv[2], 1)
        pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), bpp)]
        ink = sum(1 for p in pixels if p != b"\\xff\\xff\\xff")
        red = sum(1 for p in pixels if abs(p[0] - 0xb0) < 12 and p[1] < 24 and abs(p[2] - 0x20) < 20)
        print(w, h, size > 4 * blank_size, round(100 * ink / len(pixels)), red > 50)
        """
        let output = try ExternalTools.run("python3", ["-c", script, reportPNG.path, blankPNG.path])
        let fields = output.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .newlines) }
        #expect(fields.count == 5, "\(output.stdout)\(output.stderr)")
        guard fields.count == 5 else { return }
        #expect(fields[0] == "1200" && fields[1] == "3000")
        #expect(fields[2] == "True", "the report PNG is much larger than a blank page's")
        #expect((Int(fields[3]) ?? 0) >= 3, "at least 3 % of the top of the page is not white")
        #expect(fields[4] == "True", "a FAIL badge is visible")
    }
}
