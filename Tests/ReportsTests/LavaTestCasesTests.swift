import AVPSModel
import Foundation
import Testing
@testable import Reports

/// `avps report lava`: one LAVA signal per target and requirement, in the format `lava-test-case`
/// prints, which LAVA's test shell parses with `<LAVA_SIGNAL_(\S+) ([^>]+)>`.
@Suite struct LavaTestCasesTests {
    @Test func everyVerdictHasOneLavaResult() {
        let expected: [Verdict: String] = [.pass: "pass", .flaky: "pass", .fail: "fail", .notApplicable: "skip",
                                           .skipped: "skip", .waived: "skip", .untested: "unknown", .error: "unknown",
                                           .infra: "unknown", .notOffered: "skip", .attested: "skip"]
        for verdict in Verdict.allCases { #expect(LavaTestCases.result(for: verdict) == expected[verdict]) }
    }

    @Test func oneTestCasePerTargetAndRequirementAndARaiseForInfra() throws {
        let run = Fixtures.run
        let lines = LavaTestCases.lines(run)
        let signals = lines.filter { $0.hasPrefix("<LAVA_SIGNAL_") }
        let cases = signals.filter { $0.hasPrefix("<LAVA_SIGNAL_TESTCASE ") }
        #expect(cases.count == run.targets.map(\.results.count).reduce(0, +))
        let regex = try Regex("^<LAVA_SIGNAL_(\\S+) ([^>]+)>$")
        for line in signals { #expect(line.wholeMatch(of: regex) != nil, "\(line)") }
        // Plain lines carry no '<' or '>' (they must never look like a signal) and no control characters.
        for line in lines where !line.hasPrefix("<LAVA_SIGNAL_") {
            #expect(!line.contains("<") && !line.contains(">"))
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
        }
        let infra = run.targets.filter { $0.infraError != nil }.count
        #expect(signals.filter { $0.hasPrefix("<LAVA_SIGNAL_TESTRAISE ") }.count == (infra > 0 ? 1 : 0))
        if let first = run.targets.first?.results.first {
            let id = LavaTestCases.caseID(target: run.targets[0].name, key: first.key)
            #expect(cases.contains("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=\(id) RESULT=\(LavaTestCases.result(for: first))>"))
        }
    }

    @Test func onlyAMustFailureIsAFailedTestCase() {
        let cases = LavaTestCases.lines(Fixtures.outcomes).filter { $0.hasPrefix("<LAVA_SIGNAL_TESTCASE ") }
        #expect(!cases.contains { $0.hasSuffix("RESULT=fail>") }, "deviations and absent MAY features are skip")
        #expect(cases.contains("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=acme-conformant.AVPS2-STOR-03 RESULT=skip>"))
        #expect(LavaTestCases.result(for: Fixtures.run.targets[0].results[2]) == "fail")  // MUST FAIL
    }

    @Test func caseIDsHaveNoSpacesOrAngleBrackets() {
        #expect(LavaTestCases.caseID(target: "my target<1>", key: "AVPS2-GEN-01") == "my_target_1_.AVPS2-GEN-01")
    }
}
