import AVPSModel
import Testing

@Suite("Exit status of a run")
struct OutcomeTests {
    func target(_ rows: [RequirementResult], infra: String? = nil) -> TargetResult {
        TargetResult(name: "t", adapter: "qemu", accelerator: "tcg", commandLine: [],
                     profile: ProfileReference(id: "p", path: "p.yaml", sha256: "00"), stages: [], evidence: nil,
                     infraError: infra, results: rows, artifacts: [:])
    }

    func row(_ level: RequirementLevel, _ verdict: Verdict, normative: Bool? = nil) -> RequirementResult {
        RequirementResult(key: "K", title: "t", chapter: "c", category: "g", level: level, verdict: verdict,
                          reason: "r", normative: normative)
    }

    @Test("MUST failure → 1; SHOULD failure → 0; non-normative MUST failure → 0")
    func levels() {
        #expect(RunOutcome.of([target([row(.must, .fail)])]) == .mustFailed)
        #expect(RunOutcome.of([target([row(.must, .error)])]) == .mustFailed)
        #expect(RunOutcome.of([target([row(.should, .fail), row(.must, .pass)])]) == .allMustPass)
        #expect(RunOutcome.of([target([row(.must, .fail, normative: false)])]) == .allMustPass)
    }

    @Test("infrastructure outranks failures, so CI can tell a broken bench from a broken platform")
    func infraFirst() {
        #expect(RunOutcome.of([target([row(.must, .fail)]), target([], infra: "boot")]) == .infrastructure)
        #expect(RunOutcome.of([target([row(.may, .infra)])]) == .infrastructure)
    }
}
