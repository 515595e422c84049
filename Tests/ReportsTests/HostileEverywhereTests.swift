import AVPSModel
import Foundation
import Testing
@testable import Reports

/// Every string field of the model set to hostile text at once, through every renderer: the
/// fixture's targeted hostile fields cannot miss a field a renderer forgot to escape.
@Suite struct HostileEverywhereTests {
    static let h = Fixtures.hostile

    static let run: RunResult = {
        let result = RequirementResult(key: "K\(h)", title: h, chapter: h, category: "c\(h)", level: .must,
                                       verdict: .fail, reason: h, evidence: [h, h])
        let target = TargetResult(
            name: "t\(h)", adapter: h, accelerator: h, commandLine: [h, h],
            profile: ProfileReference(id: h, path: h, sha256: h),
            stages: [StageTiming(stage: h, startedAt: 0, duration: 1, ok: false)],
            evidence: Evidence(guest: GuestIdentity(agentVersion: h, protocolVersion: 1, kernelRelease: h, machine: h),
                               devices: [VirtioDeviceRecord(name: h, deviceID: 999, vendorID: 0, transport: .unknown,
                                                            busAddress: h, negotiatedFeatures: FeatureBits([0]),
                                                            status: 0, driver: h)]),
            infraError: h,
            results: Verdict.allCases.map { var r = result; r.verdict = $0; return r },
            artifacts: [h: h, "ctl": "dir/\(h)", "ok \(h)": "dir/<a b>&\"'.log"])
        return RunResult(toolVersion: h, startedAt: Fixtures.started, finishedAt: Fixtures.finished,
                         host: HostInfo(hostname: h, kernel: h, machine: h, hypervisorVersion: h), targets: [target])
    }()

    @Test func junitStaysValid() throws {
        let file = try ExternalTools.write(Data(try JUnitReport.render(Self.run).utf8), name: "junit.xml")
        let output = try ExternalTools.run("xmllint", ["--noout", "--schema", ExternalTools.junitXSD.path, file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.status == 0, "\(output.stderr)")
        let name = try ExternalTools.run("xmllint", ["--xpath", "string(/testsuites/testsuite[2]/testcase[1]/@name)", file.path])
        #expect(name.stdout.trimmingCharacters(in: .newlines) == "K\(Fixtures.hostileXMLLegal) \(Fixtures.hostileXMLLegal)")
    }

    /// Negative control: the validator really rejects a document the schema forbids.
    @Test func xmllintRejectsSchemaViolations() throws {
        let broken = try JUnitReport.render(Fixtures.run).replacingOccurrences(of: "<testcase ", with: "<testcase bogus=\"1\" ")
        let file = try ExternalTools.write(Data(broken.utf8), name: "junit.xml")
        let output = try ExternalTools.run("xmllint", ["--noout", "--schema", ExternalTools.junitXSD.path, file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.status != 0)
    }

    @Test func htmlHasNoRawMarkupFromData() throws {
        let html = HTMLReport.render(Self.run)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("\u{0}") && !html.contains("\u{1b}"))
        #expect(html.firstMatch(of: try Regex(#"(?i)(src|href)\s*=\s*["']?\s*(https?:|//|javascript:)"#)) == nil)
        // A relative path with markup characters is linked percent-encoded; one with control
        // characters, or with a scheme, is shown as text only.
        #expect(html.contains("<a href=\"dir/%3Ca%20b%3E&amp;%22&#39;.log\">dir/&lt;a b&gt;&amp;&quot;&#39;.log</a>"))
        #expect(html.components(separatedBy: "<a href=\"dir/").count == 2)
    }

    @Test func jsonRoundTripsAndValidates() throws {
        let data = try ResultsJSON.encode(Self.run)
        #expect(try ResultsJSON.decode(data) == Self.run)
        let file = try ExternalTools.write(data, name: "results.json")
        let output = try ExternalTools.validateJSON(file, schema: ExternalTools.resultsSchema)
        guard ExternalTools.requireTool(output, "python3", hint: "install python3 and python3-jsonschema") else { return }
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
    }

    @Test func summaryIsTerminalSafe() {
        let text = TextSummary.render(Self.run)
        #expect(!text.contains("\u{1b}") && !text.contains("\u{0}"))
        // outcome, header, target, infra error, what would decide each undecided MUST, one line per
        // non-PASS non-INFRA verdict, collapsed INFRA, counts, outcome
        let undecided = Conformance.outcome(of: Self.run.targets[0]).undecided.filter { $0.key != "TARGET" }.count
        #expect(text.split(separator: "\n").count == 7 + undecided + Verdict.allCases.count - 2, "\(text)")
    }
}
