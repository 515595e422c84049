import AVPSModel
import Foundation

/// junit.xml for CI servers, valid against the Jenkins xUnit JUnit schema (`junit-10.xsd`).
///
/// Layout: one `<testsuite>` per (target, category), one `<testcase>` per requirement, plus one
/// `infrastructure` suite for a target that reports an infra error, so a target that never booted
/// turns the build red instead of silently contributing zero tests.
///
/// The document is streamed through libxml2's writer (`XMLStreamWriter`), which escapes `<&>"`
/// in text and attributes after `TextSanitizing.xmlLegal` made the strings legal XML (no escaping
/// can carry NUL or ESC in XML 1.0). Streaming matters: a DOM of 10,000 test cases took 0.75 s.
///
/// What the schema decides here:
/// - `<testcase>` may not hold `<properties>`: per-requirement key/level/chapter/verdict go into
///   suite properties named `<KEY>.level` etc., and into the test case's `<system-out>`.
/// - `<skipped>`, `<failure>`, `<error>` carry `message` and `type`; the verdict is the `type`.
/// - `<failure>` only for a MUST that FAILed (`JUnitXML.Element`): a SHOULD deviation or an
///   absent MAY feature is `<skipped>` typed DEVIATION or NOT_OFFERED, never a red build.
/// - FLAKY is a pass with a `<flakyFailure type="FLAKY">` marker (Surefire's rerun convention)
///   and a note in `<system-out>`.
/// - `<testsuites>` allows no `skipped` attribute; suites carry it.
/// - `time`: scoring a requirement is a pure function of evidence and is not timed, so test cases
///   and suites say `0.000` rather than invent a number; `<testsuites>` carries the run's wall
///   time, and each suite's `<system-out>` lists the boot stage durations of its target.
/// - `timestamp` is the run start in UTC without a zone suffix (the Ant/Surefire form).
/// - The run's outcome line (`Tally.outcomeLine`) is an XML comment before `<testsuites>`, so the
///   file's first lines say what was proven, attested and missing, as every other report does.
public enum JUnitReport {
    public static let fileName = "junit.xml"

    public static func render(_ run: RunResult) throws(ReportError) -> String {
        let allSuites = run.targets.flatMap { suites(for: $0, run: run) }
        let totals = allSuites.reduce(into: SuiteCounts()) { $0.add($1.counts) }
        let xml = try XMLStreamWriter()
        // The first line a person reads: the run's outcome, what was proven, attested and missing
        // (the schema has no place for it on <testsuites>; every suite also carries it as properties).
        xml.comment(Tally.outcomeLine(run.targets))
        xml.start("testsuites", [
            ("name", "avps \(run.toolVersion)"),
            ("tests", String(totals.tests)),
            ("failures", String(totals.failures)),
            ("errors", String(totals.errors)),
            ("time", Timestamps.seconds(run.finishedAt.timeIntervalSince(run.startedAt))),
        ])
        for suite in allSuites { write(suite, run: run, into: xml) }
        xml.end()
        return try xml.finish()
    }

    /// Test counts in the sense of the JUnit attributes.
    struct SuiteCounts: Equatable {
        var tests = 0, failures = 0, errors = 0, skipped = 0

        mutating func add(_ other: SuiteCounts) {
            tests += other.tests
            failures += other.failures
            errors += other.errors
            skipped += other.skipped
        }

        mutating func add(_ result: RequirementResult) {
            tests += 1
            switch JUnitXML.Element.of(result) {
            case .failure: failures += 1
            case .error: errors += 1
            case .skipped: skipped += 1
            case .pass, .flaky: break
            }
        }
    }

    /// One `<testsuite>`: counted first (its attributes carry the counts), written afterwards.
    struct Suite {
        var target: TargetResult
        var category: String
        var results: [RequirementResult]
        var counts: SuiteCounts
    }

    static func suites(for target: TargetResult, run: RunResult) -> [Suite] {
        var suites: [Suite] = []
        if let infraError = target.infraError {
            let infra = RequirementResult(
                key: "INFRA", title: "target could not be measured", chapter: "", category: "infrastructure",
                level: .must, verdict: .infra, reason: infraError,
                evidence: target.stages.map(stageLine))
            suites.append(suite(target: target, category: "infrastructure", results: [infra], run: run))
        }
        for group in Tally.byCategory(target.results) {
            suites.append(suite(target: target, category: group.category, results: group.results, run: run))
        }
        return suites
    }

    /// `avps.<target>.<category>` with dots and whitespace inside a component replaced by `_`:
    /// CI servers split class names at dots into a package tree, and a target called `qemu-9.2`
    /// must not become a package `qemu-9` with a class `2`.
    static func className(target: String, category: String) -> String {
        "\(packageName(target: target)).\(component(category))"
    }

    /// `avps.<target>`: groups a target's suites in CI package views.
    static func packageName(target: String) -> String { "avps.\(component(target))" }

    private static func component(_ text: String) -> String {
        String(text.map { $0 == "." || $0.isWhitespace ? "_" : $0 })
    }

    static func stageLine(_ stage: StageTiming) -> String {
        "stage \(stage.stage): \(stage.ok ? "ok" : "FAILED") at +\(Timestamps.seconds(stage.startedAt)) s "
            + "for \(Timestamps.seconds(stage.duration)) s"
    }

    private static func suite(target: TargetResult, category: String, results: [RequirementResult],
                              run: RunResult) -> Suite {
        var counts = SuiteCounts()
        for result in results { counts.add(result) }
        return Suite(target: target, category: category, results: results, counts: counts)
    }

    private static func write(_ suite: Suite, run: RunResult, into xml: XMLStreamWriter) {
        let name = className(target: suite.target.name, category: suite.category)
        xml.start("testsuite", [
            ("name", name),
            ("package", packageName(target: suite.target.name)),
            ("tests", String(suite.counts.tests)),
            ("failures", String(suite.counts.failures)),
            ("errors", String(suite.counts.errors)),
            ("skipped", String(suite.counts.skipped)),
            ("time", "0.000"),
            ("timestamp", Timestamps.junitTimestamp(run.startedAt)),
            ("hostname", run.host.hostname),
        ])
        JUnitXML.properties(target: suite.target, category: suite.category, results: suite.results,
                            run: run, into: xml)
        for result in suite.results {
            JUnitXML.testcase(result, className: name, into: xml)
        }
        xml.element("system-out", text: JUnitXML.suiteOutput(suite.target))
        xml.end()
    }
}
