import AVPSModel

extension HTMLReport {
    /// A conformance status as a badge (the word carries the meaning, the colour repeats it).
    static func statusBadge(_ status: Conformance.Status) -> HTML {
        "<span class=\"badge \(Tally.cssClass(status))\">\(status.rawValue)</span>"
    }

    /// One result's badge: the word `Conformance.word` gives (DEVIATION for a SHOULD miss,
    /// NOT_OFFERED for an absent MAY feature). A MAY result is never red: its badge is muted.
    static func badge(_ result: RequirementResult) -> HTML {
        let word = Conformance.word(for: result)
        let muted = result.level == .may && Conformance.role(of: result) != .notOffered && result.verdict != .pass ? " muted" : ""
        return "<span class=\"badge v-\(word.lowercased())\(muted)\">\(word)</span>"
    }

    /// The target's outcome and every requirement it rests on: MUST failures first, then what is
    /// missing and what would decide it, then deviations, attestations, waivers and optional
    /// features not offered.
    static func conformanceSection(_ target: TargetResult) -> HTML {
        let outcome = Conformance.outcome(of: target)
        let groups: [(String, [Conformance.Item])] = [
            ("MUST requirements that failed", outcome.mustFailures),
            ("MUST requirements not decided, and what would decide them", outcome.undecided),
            ("SHOULD deviations without a justification", outcome.deviations),
            ("SHOULD deviations justified by the vendor", outcome.justifiedDeviations),
            ("MUST requirements attested (a signed statement, not a measurement)", outcome.attested),
            ("MUST requirements waived", outcome.waived),
            ("Optional (MAY) features not offered (informational)", outcome.notOffered),
        ]
        let lists = HTML.joined(groups.filter { !$0.1.isEmpty }.map { title, items -> HTML in
            let entries = HTML.joined(items.map { "<li><code>\($0.key)</code> \($0.title): \($0.note)</li>" as HTML })
            return "<h4>\(title) (\(String(items.count)))</h4><ul class=\"conformance\">\(entries)</ul>"
        })
        return """
        <div class="conformance">
        <p>Target outcome: \(statusBadge(outcome.status)) \(Conformance.sentence(outcome))</p>
        \(lists)
        </div>
        """
    }
}
