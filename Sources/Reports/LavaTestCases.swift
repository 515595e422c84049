import AVPSModel

/// A finished run as LAVA test cases, one per target and requirement, in LAVA's own signal format
/// (`<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=… RESULT=…>`, what `lava-test-case` prints), for a LAVA test
/// shell to read from `avps report lava`'s output.
///
/// Each signal follows a plain line with the verdict and reason, so the reason sits next to the
/// result in LAVA's log. A target that ended INFRA ends with `<LAVA_SIGNAL_TESTRAISE …>`: the test
/// shell stops and the job is Incomplete (LAVA has no signal for infrastructure errors; avps's
/// own exit 3 already makes the `avps_run` command an infrastructure error before any test shell).
public enum LavaTestCases {
    /// LAVA's four results for avps's verdicts.
    public static func result(for verdict: Verdict) -> String {
        switch verdict {
        case .pass, .flaky: "pass"
        case .fail: "fail"
        case .notApplicable, .skipped, .waived, .notOffered, .attested: "skip"
        case .untested, .error, .infra: "unknown"
        }
    }

    /// LAVA's result for one requirement, following `Conformance`: only a MUST that FAILed is
    /// "fail"; a SHOULD deviation or an absent MAY feature is "skip", like in JUnit.
    public static func result(for result: RequirementResult) -> String {
        switch Conformance.role(of: result) {
        case .mustFailure: "fail"
        case .deviation, .justifiedDeviation, .notOffered: "skip"
        default: Self.result(for: result.verdict == .fail ? .skipped : result.verdict)
        }
    }

    /// A test case id LAVA accepts: no spaces or `>`; `TARGET.KEY`.
    public static func caseID(target: String, key: String) -> String {
        (target + "." + key).map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }.map(String.init).joined()
    }

    public static func lines(_ run: RunResult) -> [String] {
        var lines: [String] = []
        var raise: [String] = []
        for target in run.targets {
            for result in target.results {
                let id = caseID(target: target.name, key: result.key)
                lines.append(TextSanitizing.terminalLine("\(id) [\(result.level.rawValue)] \(Conformance.word(for: result)): \(result.reason)")
                    .replacingOccurrences(of: "<", with: "‹").replacingOccurrences(of: ">", with: "›"))
                lines.append("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=\(id) RESULT=\(Self.result(for: result))>")
            }
            if let infra = target.infraError {
                raise.append("\(target.name): \(TextSanitizing.terminalLine(infra))")
            }
        }
        if !raise.isEmpty {
            let message = ("avps INFRA " + raise.joined(separator: "; "))
                .replacingOccurrences(of: "<", with: "‹").replacingOccurrences(of: ">", with: "›")
            lines.append("<LAVA_SIGNAL_TESTRAISE \(message)>")
        }
        return lines
    }
}
