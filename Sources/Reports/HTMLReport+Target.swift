import AVPSModel
import Foundation

extension HTMLReport {
    /// Everything about one target: what ran, how the boot went, what the guest offered, and the
    /// verdicts per device category.
    static func targetSection(_ target: TargetResult, index: Int) -> HTML {
        let anchor = Anchors.target(index)
        let status = Conformance.outcome(of: target).status
        let infra: HTML = target.infraError.map {
            """
            <div class="infra" role="alert"><h3>Infrastructure error: nothing was measured</h3>\
            <p>\($0)</p><p>This is trouble with the test bench, boot or transport, not a verdict on the platform.</p></div>
            """
        } ?? ""
        let categories = HTML.joined(Tally.byCategory(target.results).map {
            categoryTable($0.category, results: $0.results, target: index)
        })
        return """
        <section class="target" aria-labelledby="\(anchor)">
        <h2 id="\(anchor)">\(target.name) \(statusBadge(status))</h2>
        \(systemSection(target))\(infra)
        \(conformanceSection(target))
        \(scoreTable(target))
        \(targetFacts(target))
        <h3>Command line</h3>
        <pre class="cmd"><code>\(CommandLineText.shellQuoted(target.commandLine))</code></pre>
        \(StageChart.render(target.stages))
        \(guestSections(target))
        \(categories)
        \(artifactList(target.artifacts))
        </section>
        """
    }

    private static func scoreTable(_ target: TargetResult) -> HTML {
        let rows = Tally.scoreByLevel(target.results).map { level, score -> HTML in
            "<tr><th scope=\"row\">\(level.rawValue)</th>\(scoreCell(score))</tr>"
        }
        return """
        <table class="score"><caption>Score by level (passed/total)</caption>
        <tbody>\(HTML.joined(rows))</tbody></table>
        """
    }

    private static func targetFacts(_ target: TargetResult) -> HTML {
        // The build that ran this target (two QEMU versions can share one run).
        let builds = HTML.joined([target.hypervisorVersion.map { "<dt>Hypervisor</dt><dd>\($0)</dd>\n" as HTML },
                                  target.guestKernel.map { "<dt>Guest kernel</dt><dd>\($0)</dd>\n" as HTML }].compactMap { $0 })
        return """
        <dl class="facts">
        <dt>Adapter</dt><dd>\(target.adapter)</dd>
        \(builds)<dt>Accelerator</dt><dd>\(target.accelerator, default: "none reported")</dd>
        <dt>Profile</dt><dd>\(target.profile.id) \(target.profile.version.map { "version \($0) " } ?? "")(<code>\(target.profile.path)</code>)</dd>
        <dt>Profile sha256</dt><dd><code>\(target.profile.sha256)</code></dd>\
        \(Tally.basisLine(target.results).map { "\n<dt>Evidence basis</dt><dd>\($0)</dd>" as HTML } ?? "")
        </dl>
        """
    }

    /// One table per device category. Each row traces the verdict back to the requirement (key,
    /// chapter, level) and keeps the evidence one click away in `<details>`, which needs no script.
    private static func categoryTable(_ category: String, results: [RequirementResult], target: Int) -> HTML {
        let rows = results.map { result -> HTML in
            let evidence: HTML = result.evidence.isEmpty ? "" : """
                <details><summary>Evidence (\(result.evidence.count))</summary>\
                <pre>\(result.evidence.joined(separator: "\n"))</pre></details>
                """
            let flaky: HTML = result.verdict == .flaky ? " <em>(passed only on retry)</em>" : ""
            return """
            <tr id="\(Anchors.requirement(target: target, key: result.key))" \
            class="r-\(Conformance.role(of: result).rawValue)"><td><code>\(result.key)</code></td>\
            <td>\(result.title)</td><td>\(result.chapter)</td><td>\(result.level.rawValue)</td>\
            <td>\(badge(result))\(flaky)\(justified(result))\(basis(result))\(attested(result))</td><td>\(result.reason)\(evidence)</td></tr>
            """
        }
        return """
        <table class="results">
        <caption>Category: \(category)</caption>
        <thead><tr><th scope="col">Requirement</th><th scope="col">Title</th><th scope="col">Chapter</th>\
        <th scope="col">Level</th><th scope="col">Verdict</th><th scope="col">Reason and evidence</th></tr></thead>
        <tbody>
        \(HTML.joined(rows, separator: "\n"))
        </tbody>
        </table>
        """
    }

    /// Whose word the verdict rests on, under the badge (the host's own observation, the agent's
    /// report corroborated by the host, or the agent's word alone).
    private static func basis(_ result: RequirementResult) -> HTML {
        guard let basis = result.basis else { return "" }
        return "<br><span class=\"basis b-\(basis.rawValue)\">\(basis.rawValue)</span>"
    }

    /// Who signed the statement an ATTESTED verdict rests on, with a link to the signed file the
    /// run kept (`attestations/…`, verifiable again with `avps attest verify`).
    private static func attested(_ result: RequirementResult) -> HTML {
        guard result.verdict == .attested, let attestation = result.attestation else { return "" }
        let file: HTML = ArtifactPaths.href(attestation.file).map { href -> HTML in "<a href=\"\(href)\">\(attestation.file)</a>" }
            ?? "\(attestation.file)"
        let (key, expires) = (String(attestation.signer.prefix(16)), attestation.expires.description)
        return """
            <br><span class="basis b-attested">signed statement, not a measurement</span> \
            <em>(\(attestation.owner), until \(expires); key \(key)…; \(file))</em>
            """
    }

    private static func justified(_ result: RequirementResult) -> HTML {
        guard let justification = result.justification, Conformance.role(of: result) == .justifiedDeviation else { return "" }
        return " <em>(justified by \(justification.owner): \(justification.reason))</em>"
    }

    /// Artifacts as links relative to the run directory (where report.html lives). A path that is
    /// not plainly relative (absolute, with a scheme such as `javascript:` or `https:`) is shown
    /// as text only, so a hostile result file cannot plant a live link.
    private static func artifactList(_ artifacts: [String: String]) -> HTML {
        guard !artifacts.isEmpty else { return "" }
        let items = artifacts.sorted { $0.key < $1.key }.map { name, path -> HTML in
            if let href = ArtifactPaths.href(path) {
                return "<li>\(name): <a href=\"\(href)\">\(path)</a></li>"
            }
            return "<li>\(name): <code>\(path)</code> (not a relative path; not linked)</li>"
        }
        return """
        <h3>Artifacts</h3>
        <ul class="artifacts">\(HTML.joined(items))</ul>
        """
    }
}
