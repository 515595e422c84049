import AVPSModel

/// The element writers behind `JUnitReport`. Every string enters the document through
/// `XMLStreamWriter`, which makes text legal XML and lets libxml2 escape it.
enum JUnitXML {
    /// The JUnit element of one result, from its conformance role: `<failure>` only for a MUST
    /// that FAILed, `<error>` only for a MUST nobody could decide because something broke (ERROR,
    /// INFRA). Deviations, absent optional features, attestations and every other result that
    /// does not decide conformance are `<skipped>` with the word reports show as the type.
    enum Element: Equatable {
        case failure, error, flaky, pass
        case skipped(type: String)

        static func of(_ result: RequirementResult) -> Element {
            let role = Conformance.role(of: result)
            switch (role, result.verdict) {
            case (.mustFailure, _): return .failure
            case (.undecided, .error), (.undecided, .infra): return .error
            case (_, .flaky): return .flaky
            case (.decided, .pass), (.informational, .pass): return .pass
            default: return .skipped(type: Conformance.word(for: result))
            }
        }
    }

    static func testcase(_ result: RequirementResult, className: String, into xml: XMLStreamWriter) {
        xml.start("testcase", [
            ("name", "\(result.key) \(result.title)"),
            ("classname", className),
            ("time", "0.000"),
        ])
        switch Element.of(result) {
        case .failure:
            xml.element("failure", [("message", result.reason), ("type", result.verdict.rawValue)], text: detail(result))
        case .error:
            xml.element("error", [("message", result.reason), ("type", result.verdict.rawValue)], text: detail(result))
        case .skipped(let type):
            xml.element("skipped", [("message", "\(type): \(result.reason)"), ("type", type)])
        case .flaky:
            xml.element("flakyFailure", [("message", result.reason), ("type", result.verdict.rawValue)])
        case .pass:
            break
        }
        xml.element("system-out", text: caseOutput(result))
        xml.end()
    }

    /// Body of `<failure>`/`<error>`, which CI servers show as the "stack trace": the evidence
    /// the verdict rests on, or the reason when there is none.
    static func detail(_ result: RequirementResult) -> String {
        result.evidence.isEmpty ? result.reason : result.evidence.joined(separator: "\n")
    }

    /// Per-test output: traceability first, then the verdict, reason and evidence.
    static func caseOutput(_ result: RequirementResult) -> String {
        var lines = [
            "requirement: \(result.key) (\(result.level.rawValue))",
            "chapter: \(result.chapter)",
            "verdict: \(result.verdict.rawValue)",
            "conformance: \(Conformance.role(of: result).rawValue)",
            "reason: \(result.reason)",
        ]
        if let justification = result.justification {
            lines.append("justified by \(justification.owner) (\(justification.grantedBy)): \(justification.reason)")
        }
        if let attestation = result.attestation {
            lines += ["attested by \(attestation.byline), until \(attestation.expires): a signed statement, not a measurement",
                      "statement: \(attestation.statement)", "evidence reference: \(attestation.evidence)",
                      "attestation file: \(attestation.file) (sha256 \(attestation.sha256)), signer key sha256 \(attestation.signer)"]
        }
        if result.verdict == .flaky { lines.append("FLAKY: passed only on retry; treat as a pass to investigate") }
        if !result.evidence.isEmpty {
            lines.append("evidence:")
            lines += result.evidence.map { "  \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Suite output: command line, stages, infra error, and run-relative artifacts as
    /// `[[ATTACHMENT|path]]` lines (the Jenkins attachments plugin attaches suite-level files to
    /// every test case of the suite).
    static func suiteOutput(_ target: TargetResult) -> String {
        var lines = ["target: \(target.name) (adapter \(target.adapter))",
                     "command line: \(CommandLineText.shellQuoted(target.commandLine))"]
        if let infraError = target.infraError { lines.append("INFRA: \(infraError)") }
        lines += target.stages.map(JUnitReport.stageLine)
        for (name, path) in target.artifacts.sorted(by: { $0.key < $1.key }) {
            lines.append(ArtifactPaths.isRunRelative(path)
                ? "[[ATTACHMENT|\(path)]]"
                : "artifact \(name) (not a run-relative path, not attached): \(TextSanitizing.terminalLine(path))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Suite properties: where the target came from, and per requirement its key, level, chapter
    /// and verdict (the schema allows properties only on suites).
    static func properties(target: TargetResult, category: String, results: [RequirementResult],
                           run: RunResult, into xml: XMLStreamWriter) {
        var pairs: [(String, String)] = [
            ("avps.tool_version", run.toolVersion),
            ("avps.target", target.name),
            ("avps.category", category),
            ("avps.adapter", target.adapter),
        ]
        if let accelerator = target.accelerator { pairs.append(("avps.accelerator", accelerator)) }
        if let system = target.system { pairs.append(("avps.system", system)) }
        if let vms = target.vms { pairs.append(("avps.system.vms", vms.joined(separator: " "))) }
        pairs += [
            ("avps.profile.id", target.profile.id),
            ("avps.profile.path", target.profile.path),
            ("avps.profile.sha256", target.profile.sha256),
            ("avps.profile.version", target.profile.version ?? "unversioned"),
            ("avps.host.kernel", run.host.kernel),
            ("avps.host.machine", run.host.machine),
            ("avps.started_at", Timestamps.iso8601Millis(run.startedAt)),
        ]
        if let version = run.host.hypervisorVersion { pairs.append(("avps.host.hypervisor_version", version)) }
        if let version = target.hypervisorVersion { pairs.append(("avps.target.hypervisor_version", version)) }
        if let kernel = target.guestKernel { pairs.append(("avps.guest.kernel_package", kernel)) }
        let outcome = Conformance.outcome(of: target)
        pairs.append(("avps.conformance", outcome.status.rawValue))
        pairs.append(("avps.conformance.summary", Conformance.sentence(outcome)))
        if let guest = target.evidence?.guest {
            pairs.append(("avps.guest.kernel_release", guest.kernelRelease))
            pairs.append(("avps.guest.agent_version", guest.agentVersion))
        }
        for result in results {
            pairs.append(("\(result.key).level", result.level.rawValue))
            pairs.append(("\(result.key).chapter", result.chapter))
            pairs.append(("\(result.key).verdict", result.verdict.rawValue))
            pairs.append(("\(result.key).conformance", Conformance.role(of: result).rawValue))
        }
        xml.start("properties")
        for (name, value) in pairs {
            xml.element("property", [("name", name), ("value", value)])
        }
        xml.end()
    }
}
