import AVPSModel
import Foundation
import Testing
@testable import Reports

@Suite struct HTMLReportTests {
    let html = HTMLReport.render(Fixtures.run)

    @Test func isSelfContained() throws {
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("url("))
        #expect(!html.contains("@import"))
        // No attribute may point off the page or run a scheme, hostile artifact paths included.
        let offPage = try Regex(#"(?i)(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//|javascript:|data:|file:)"#)
        #expect(html.firstMatch(of: offPage) == nil)
        #expect(!html.contains(" src="), "nothing is loaded from anywhere")
        // Every link is an in-page anchor or a relative artifact link.
        let hrefs = html.matches(of: try Regex(#"href="([^"]*)""#)).compactMap { $0.output[1].substring.map(String.init) }
        #expect(Set(hrefs) == ["#target-1", "#target-2", "targets/qemu/serial.log", "targets/qemu/cmd%20line.txt"])
    }

    @Test func hostileStringsNeverAppearUnescaped() {
        #expect(!html.contains("<script>"))
        #expect(!html.contains("alert(\"x\")"))
        #expect(!html.contains("'q'"))
        #expect(!html.contains("\u{0}") && !html.contains("\u{1b}"))
        let escaped = HTML.escape(Fixtures.hostile)
        #expect(escaped.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt; \u{FFFD}nul"))
        // The hostile text appears escaped in the title, reason, evidence and kernel release.
        #expect(html.contains("<td>Block \(escaped)</td>"))
        #expect(html.contains("<td>flush \(escaped)<details>"))
        #expect(html.contains("line with \(escaped)"))
        #expect(html.contains("<dd>6.8.0 \(escaped)</dd>"))
        #expect(html.contains("Grüße Ω 車 🚗"))
    }

    @Test func structure() {
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("<style>"))
        #expect(html.contains("Outcome: <span class=\"badge o-not-conformant\">NOT CONFORMANT</span> NOT CONFORMANT (exit 1)"))
        for category in ["general", "storage", "entropy", "vsock"] {
            #expect(html.contains("<caption>Category: \(category)</caption>"))
        }
        for verdict in Verdict.allCases where ![.notOffered, .attested].contains(verdict) {
            #expect(html.contains("<span class=\"badge v-\(verdict.rawValue.lowercased())\">\(verdict.rawValue)</span>"))
        }
        #expect(html.components(separatedBy: "<details>").count - 1 == 2)  // two results carry evidence
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)
        #expect(html.contains("<em>(passed only on retry)</em>"))
    }

    @Test func summaryScoresByLevel() {
        // qemu: MUST pass 1 of GEN-01, STOR-01, RNG-01, VSOCK-01; SHOULD: GEN-02 (FLAKY) of 3; MAY: STOR-02 is N/A.
        #expect(html.contains(##"<a href="#target-1">qemu-x86.64 tcg</a></th><td><span class="badge o-not-conformant">NOT CONFORMANT</span></td><td class="num">1/4</td><td class="num">1/3</td><td class="num">0/1</td>"##))
        #expect(html.contains(##"<a href="#target-2">broken-board</a></th><td><span class="badge o-incomplete">INCOMPLETE</span></td><td class="num">0/2</td><td class="num">–</td><td class="num">–</td>"##))
    }

    @Test func traceabilityInventoryAndCommandLine() {
        #expect(html.contains("<tr id=\"t1-AVPS2-STOR-01\" class=\"r-must-failure\"><td><code>AVPS2-STOR-01</code></td>"))
        #expect(html.contains("<td>Chapter storage</td><td>MUST</td><td><span class=\"badge v-fail\">FAIL</span>"))
        #expect(html.contains("<tr><td><code>virtio0</code></td><td>2 (block)</td><td>pci</td><td>0000:00:02.0</td>"
            + "<td>0x1042</td><td><code>1,9,28,32</code></td><td>0x0f (ACKNOWLEDGE DRIVER DRIVER_OK FEATURES_OK)</td>"
            + "<td>virtio_blk</td></tr>"))
        #expect(html.contains("<td><code>virtio1</code></td><td>4 (entropy)</td><td>mmio</td><td>–</td><td>–</td>"
            + "<td><code>none</code></td><td>0x03 (ACKNOWLEDGE DRIVER)</td><td>none bound</td>"))
        #expect(html.contains("<code>qemu-system-x86_64 -machine q35 -append &#39;console=ttyS0 quiet&#39; -name &#39;it&#39;\\&#39;&#39;s&#39;</code>"))
        #expect(html.contains("https://evil.example/x</code> (not a relative path; not linked)"))
        #expect(html.contains("<dd>avps-2.0 (<code>Profiles/avps-2.0.yaml</code>)</dd>"))
    }

    @Test func infraTargetShowsItsErrorProminently() throws {
        let section = try #require(html.components(separatedBy: "<h2 id=\"target-2\">").last)
        #expect(section.contains("<div class=\"infra\" role=\"alert\"><h3>Infrastructure error: nothing was measured</h3>"
            + "<p>hypervisor started: boot timed out after 30 s &lt;no console output&gt;</p>"))
        #expect(section.contains("No evidence: the guest agent never answered."))
        #expect(!html.components(separatedBy: "<h2 id=\"target-2\">")[0].contains("role=\"alert\""),
                "the mixed target has no infra box")
    }

    @Test func stageChartScalesBarsAndListsStages() {
        let chart = StageChart.render(Fixtures.mixed.stages).markup
        // Span 7.25 s over 370 px: agent hello starts at 200 + 0.4 * 51.03 = 220.4 and is 285.8 wide.
        #expect(chart.contains(#"<rect class="ok" x="220.4" y="26" width="285.8" height="16"></rect>"#))
        #expect(chart.contains(#"<rect class="failed""#))
        #expect(chart.contains("<td>inventory &lt;probe&gt;</td><td class=\"num\">6.000</td><td class=\"num\">1.250</td><td>FAILED</td>"))
        #expect(StageChart.render([]).markup.contains("No stage timings recorded."))
    }

    @Test(arguments: [("a/b c.log", "a/b%20c.log"), ("log.txt", "log.txt"), ("../up.txt", "../up.txt"),
                      ("a?b#c", "a%3Fb%23c")])
    func relativeLinksAreEncoded(path: String, expected: String) {
        #expect(ArtifactPaths.href(path) == expected)
    }

    @Test(arguments: ["", "/etc/passwd", "//evil.example/x", "https://evil.example", "javascript:alert(1)",
                      "JaVaScRiPt:x", "c:\\x", "a\nb"])
    func nonRelativeLinksAreRefused(path: String) {
        #expect(ArtifactPaths.href(path) == nil)
    }
}
