import AVPSModel
import Testing
@testable import Runner

@Suite("Retries")
struct RetryPolicyTests {
    func result(_ verdicts: [(String, Verdict)], infra: String? = nil) -> TargetResult {
        TargetResult(
            name: "t", adapter: "qemu", accelerator: "tcg", commandLine: [],
            profile: ProfileReference(id: "p", path: "p.yaml", sha256: "00"), stages: [], evidence: nil,
            infraError: infra,
            results: verdicts.map { RequirementResult(key: $0.0, title: $0.0, chapter: "c", category: "general",
                                                       level: .must, verdict: $0.1, reason: "r") },
            artifacts: [:])
    }

    @Test("a pass after a failure is FLAKY, never PASS; a steady pass stays PASS")
    func passAfterFailureIsFlaky() {
        let first = [result([("A", .fail), ("B", .pass), ("C", .fail)])]
        let second = [result([("A", .pass), ("B", .pass), ("C", .fail)])]
        let combined = RetryPolicy.combine([first, second])
        #expect(combined.count == 1)
        let verdicts = Dictionary(uniqueKeysWithValues: combined[0].results.map { ($0.key, $0.verdict) })
        #expect(verdicts == ["A": .flaky, "B": .pass, "C": .fail])
        #expect(combined[0].attempts == 2)
        #expect(combined[0].results[0].reason.contains("attempt 2"))
    }

    @Test("an INFRA first attempt followed by a pass makes every requirement FLAKY")
    func infraThenPass() {
        let first = [result([("A", .infra), ("B", .infra)], infra: "stage 'agent ready' failed")]
        let second = [result([("A", .pass), ("B", .notApplicable)])]
        let combined = RetryPolicy.combine([first, second])
        #expect(combined[0].results.map(\.verdict) == [.flaky, .notApplicable])
        #expect(combined[0].infraError == nil)
    }

    @Test("retry is needed for FAIL, ERROR and INFRA only")
    func needsRetry() {
        #expect(!RetryPolicy.needsRetry([result([("A", .pass), ("B", .notApplicable), ("C", .untested), ("D", .skipped)])]))
        #expect(RetryPolicy.needsRetry([result([("A", .fail)])]))
        #expect(RetryPolicy.needsRetry([result([("A", .error)])]))
        #expect(RetryPolicy.needsRetry([result([], infra: "boot")]))
    }

    @Test("a single attempt is reported as one attempt, unchanged")
    func singleAttempt() {
        let only = [result([("A", .fail)])]
        let combined = RetryPolicy.combine([only])
        #expect(combined[0].results.map(\.verdict) == [.fail])
        #expect(combined[0].attempts == 1)
    }
}
