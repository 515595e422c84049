import AVPSModel
import Testing

/// `Conformance` over a table of verdict mixes, and the exit code each outcome maps to.
@Suite("Conformance outcome and exit status of a run")
struct OutcomeTests {
    static func target(_ rows: [RequirementResult], infra: String? = nil) -> TargetResult {
        TargetResult(name: "t", adapter: "qemu", accelerator: "tcg", commandLine: [],
                     profile: ProfileReference(id: "p", path: "p.yaml", sha256: "00"), stages: [], evidence: nil,
                     infraError: infra, results: rows, artifacts: [:])
    }

    static func row(_ level: RequirementLevel, _ verdict: Verdict, key: String = "K", normative: Bool? = nil,
                    justified: Bool = false) -> RequirementResult {
        RequirementResult(key: key, title: "t", chapter: "c", category: "g", level: level, verdict: verdict,
                          reason: "r", normative: normative,
                          justification: justified ? Justification(owner: "o", reason: "why", grantedBy: "ov") : nil)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rows: [RequirementResult]
        var infra: String? = nil
        var status: Conformance.Status
        var exit: RunOutcome
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "every MUST passed", rows: [row(.must, .pass), row(.must, .flaky, key: "F")], status: .conformant, exit: .allMustPass),
        Case(name: "MUST not applicable (feature not offered)", rows: [row(.must, .notApplicable)], status: .conformant, exit: .allMustPass),
        Case(name: "MUST waived (active waiver)", rows: [row(.must, .waived)], status: .conformant, exit: .allMustPass),
        Case(name: "MUST attested", rows: [row(.must, .attested)], status: .conformant, exit: .allMustPass),
        Case(name: "MUST failed", rows: [row(.must, .fail), row(.must, .untested, key: "U")], status: .notConformant, exit: .mustFailed),
        Case(name: "expired waiver leaves the FAIL", rows: [row(.must, .fail)], status: .notConformant, exit: .mustFailed),
        Case(name: "MUST untested", rows: [row(.must, .pass), row(.must, .untested, key: "U")], status: .incomplete, exit: .incomplete),
        Case(name: "MUST skipped", rows: [row(.must, .skipped)], status: .incomplete, exit: .incomplete),
        Case(name: "MUST error is not a platform failure", rows: [row(.must, .error)], status: .incomplete, exit: .incomplete),
        Case(name: "MUST infra", rows: [row(.must, .infra)], status: .incomplete, exit: .infrastructure),
        Case(name: "target that never booted", rows: [row(.must, .infra)], infra: "boot", status: .incomplete, exit: .infrastructure),
        Case(name: "target that broke after every MUST was decided", rows: [row(.must, .pass)], infra: "agent died",
             status: .incomplete, exit: .infrastructure),
        Case(name: "no results at all", rows: [], status: .incomplete, exit: .incomplete),
        Case(name: "MAY misbehaving (FAIL) and MAY absent (NOT_OFFERED)", rows: [row(.must, .pass), row(.may, .fail, key: "M"),
                                                               row(.may, .notOffered, key: "N")],
             status: .conformant, exit: .allMustPass),
        Case(name: "MAY error or infra never decides", rows: [row(.must, .pass), row(.may, .error, key: "M"),
                                                           row(.may, .infra, key: "N")], status: .conformant, exit: .allMustPass),
        Case(name: "SHOULD miss unjustified", rows: [row(.must, .pass), row(.should, .fail, key: "S")], status: .conformant, exit: .allMustPass),
        Case(name: "SHOULD miss justified", rows: [row(.must, .pass), row(.should, .fail, key: "S", justified: true)],
             status: .conformant, exit: .allMustPass),
        Case(name: "SHOULD untested never decides", rows: [row(.must, .pass), row(.should, .untested, key: "S")],
             status: .conformant, exit: .allMustPass),
        Case(name: "non-normative MUST failure", rows: [row(.must, .pass), row(.must, .fail, key: "X", normative: false)],
             status: .conformant, exit: .allMustPass),
    ]

    @Test(arguments: cases)
    func outcome(_ item: Case) {
        let target = Self.target(item.rows, infra: item.infra)
        #expect(Conformance.outcome(of: target).status == item.status)
        #expect(RunOutcome.of([target]) == item.exit)
    }

    @Test("INCOMPLETE names each undecided MUST with what would decide it, and never says PASS")
    func incompleteNamesEach() {
        let outcome = Conformance.outcome(of: Self.target([
            Self.row(.must, .untested, key: "AVPS2-GEN-05"), Self.row(.must, .skipped, key: "AVPS2-X"),
            Self.row(.must, .error, key: "AVPS2-Y"), Self.row(.should, .fail, key: "AVPS2-S"),
            Self.row(.may, .notOffered, key: "AVPS2-M"),
        ]))
        #expect(outcome.undecided.map(\.key) == ["AVPS2-GEN-05", "AVPS2-X", "AVPS2-Y"])
        #expect(outcome.undecided[0].note.contains("it needs one in avps, a signed vendor attestation (avps run --attestation), or a waiver"))
        #expect(outcome.undecided[1].note.contains("rerun where the check can measure"))
        #expect(outcome.undecided[2].note.contains("fix it and rerun"))
        #expect(outcome.deviations.map(\.key) == ["AVPS2-S"])
        #expect(outcome.notOffered.map(\.key) == ["AVPS2-M"])
        let sentence = Conformance.sentence(outcome)
        #expect(sentence.hasPrefix("missing 3 MUST: AVPS2-GEN-05 (UNTESTED), AVPS2-X (SKIPPED), AVPS2-Y (ERROR); proven 0 MUST: 0 passed, 0 not applicable; attested 0 MUST;"))
        #expect(!sentence.contains("PASS") && !sentence.contains("every MUST requirement passed"))
    }

    @Test("NOT CONFORMANT names the failed MUST first; a failure elsewhere outranks an INFRA target")
    func failureFirst() {
        let failed = Self.target([Self.row(.must, .untested, key: "U"), Self.row(.must, .fail, key: "AVPS2-F")])
        #expect(Conformance.sentence(Conformance.outcome(of: failed)).hasPrefix("failed 1 MUST: AVPS2-F; missing 1 MUST: U (UNTESTED)"))
        #expect(RunOutcome.of([failed, Self.target([], infra: "boot")]) == .mustFailed)
        #expect(Conformance.status(of: [failed, Self.target([], infra: "boot")]) == .notConformant)
    }

    @Test("roles and words: SHOULD miss reads DEVIATION, MAY absent reads NOT_OFFERED")
    func words() {
        #expect(Conformance.word(for: Self.row(.should, .fail)) == "DEVIATION")
        #expect(Conformance.role(of: Self.row(.should, .fail, justified: true)) == .justifiedDeviation)
        #expect(Conformance.word(for: Self.row(.may, .notOffered)) == "NOT_OFFERED")
        #expect(Conformance.role(of: Self.row(.may, .fail)) == .informational, "an offered MAY that misbehaves keeps FAIL, never decides")
        #expect(Conformance.word(for: Self.row(.must, .fail)) == "FAIL")
        #expect(Conformance.word(for: Self.row(.must, .attested)) == "ATTESTED")
    }

    @Test("the exit-code table documents every outcome code once")
    func table() {
        let codes = RunOutcome.table.map(\.code)
        #expect(codes == RunOutcome.allCases.map(\.rawValue).sorted())
    }
}
