import AVPSModel

/// Decides one `Check` against the evidence of a target.
///
/// When no device matches the selector of a per-device check (everything but `devicePresent`,
/// `probe` and `host`):
/// - `any` with an empty inventory is NOT_APPLICABLE: "every device does X" holds vacuously,
///   and calling it PASS would credit a platform that offers nothing; the presence
///   requirements of the profile report the missing devices instead.
/// - a specific device is FAIL: a requirement without `applies_if` is unconditional, so it
///   needs the device. Profiles make a requirement conditional with `applies_if`.
///
/// A check that cannot measure (no driver bound, offered features unreadable, probe not run,
/// observation missing) is SKIPPED with the reason, never PASS.
enum CheckEvaluator {
    struct Outcome: Equatable {
        var verdict: Verdict
        var reason: String
        var evidence: [String]
    }

    static func evaluate(_ check: Check, evidence: Evidence) -> Outcome {
        let devices = evidence.devices
        let matching = check.selector.map { selector in devices.filter(selector.matches) } ?? []
        switch check {
        case .devicePresent(let selector):
            return present(selector, matching: matching, all: devices)
        case .probe(let name, let selector, let fact, let comparison):
            return probe(name, device: selector, fact: fact, comparison, evidence: evidence)
        case .host(let observation, let comparison):
            return host(observation, comparison, observations: evidence.hostObservations)
        case .hardwareVirtualization:
            return hardwareVirtualization(evidence.hostObservations)
        case .inventoryCorroborated:
            return inventoryCorroborated(evidence.hostObservations)
        case .system(let observation, let comparison) where evidence.hostObservations[Evidence.systemScopeKey] != nil:
            return system(observation, comparison, observations: evidence.hostObservations)
        case .system(let observation, _):
            return Outcome(verdict: .skipped, reason: "\(observation) is measured between two or more VMs; this target is a single guest. "
                           + "A system target (vms:, e.g. Suites/targets/system-two-vms.yaml) decides it.", evidence: [])
        default:
            break
        }
        guard let selector = check.selector else { return noMatch(.any, all: devices) }
        if matching.isEmpty { return noMatch(selector, all: devices) }
        switch check {
        case .featureNegotiated(_, let bit):
            return negotiated(bit, selector: selector, matching: matching)
        case .driverReady:
            return driverReady(selector, matching: matching)
        case .featureOffered(_, let bit):
            return offered(bit, selector: selector, matching: matching)
        case .negotiatedSubsetOfOffered:
            return negotiatedSubset(selector, matching: matching)
        case .notLegacy:
            return notLegacy(selector, matching: matching)
        case .standardTransport:
            return standardTransport(selector, matching: matching)
        case .pciModernCapabilities:
            return pciModernCapabilities(selector, matching: matching)
        case .legacyInterface(_, let present):
            return legacyInterface(selector, present: present, matching: matching)
        case .mmioVersion(_, let version):
            return mmioVersion(selector, version: version, matching: matching)
        case .definedFeatureWords:
            return definedFeatureWords(selector, matching: matching)
        case .config(_, let field, let comparison):
            return config(field, comparison, selector: selector, matching: matching)
        case .devicePresent, .probe, .host, .hardwareVirtualization, .inventoryCorroborated, .system:
            return noMatch(selector, all: devices)
        }
    }

    static func present(_ selector: DeviceSelector, matching allMatching: [VirtioDeviceRecord],
                        all: [VirtioDeviceRecord]) -> Outcome {
        // The device avps added for its own agent does not show that the platform offers one.
        let matching = allMatching.filter { $0.agentChannel != true }
        if matching.isEmpty, let channel = allMatching.first {
            return Outcome(verdict: .fail,
                           reason: "\(DeviceText.noneOffered(selector)) apart from \(DeviceText.label(channel)), which avps added as its agent channel.",
                           evidence: [DeviceText.inventory(all)])
        }
        guard !matching.isEmpty else {
            return Outcome(verdict: .fail, reason: "\(DeviceText.noneOffered(selector)).",
                           evidence: [DeviceText.inventory(all)])
        }
        let count = matching.count == 1 ? "One" : "\(matching.count)"
        let noun = DeviceText.noun(selector) + (matching.count == 1 ? " is" : "s are")
        return Outcome(verdict: .pass, reason: "\(count) \(noun) offered.", evidence: matching.map(DeviceText.label))
    }

    static func noMatch(_ selector: DeviceSelector, all: [VirtioDeviceRecord]) -> Outcome {
        if selector == .any {
            return Outcome(verdict: .notApplicable, reason: "No virtio device is offered, so there is nothing to check.",
                           evidence: [DeviceText.inventory(all)])
        }
        return Outcome(verdict: .fail,
                       reason: "\(DeviceText.noneOffered(selector)), and this requirement does not depend on one being present.",
                       evidence: [DeviceText.inventory(all)])
    }

    /// PASS/FAIL over devices that could be judged, SKIPPED when none could. `unjudged` are
    /// devices the check could not measure, each with the reason.
    static func perDevice(_ selector: DeviceSelector, judged: [VirtioDeviceRecord],
                          failures: [(VirtioDeviceRecord, String)], unjudged: [(VirtioDeviceRecord, String)],
                          passText: String, evidence: [String]) -> Outcome {
        let notes = unjudged.map { "\(DeviceText.label($0.0)): \($0.1)" }
        guard !judged.isEmpty else {
            let reasons = Set(unjudged.map(\.1)).sorted().joined(separator: "; ")
            return Outcome(verdict: .skipped, reason: "Not measurable on any \(DeviceText.noun(selector)): \(reasons).",
                           evidence: evidence + notes)
        }
        guard failures.isEmpty else {
            let details = failures.map { "\(DeviceText.label($0.0)) \($0.1)" }.joined(separator: "; ")
            return Outcome(verdict: .fail,
                           reason: "\(failures.count) of \(judged.count) \(DeviceText.noun(selector))s fail: \(details).",
                           evidence: evidence + notes)
        }
        let subject = judged.count == 1 ? "The \(DeviceText.noun(selector))" : "All \(judged.count) \(DeviceText.noun(selector))s"
        let note = unjudged.isEmpty ? "" : " (\(unjudged.count) not measurable, not judged)"
        return Outcome(verdict: .pass, reason: "\(subject) \(passText)\(note).", evidence: evidence + notes)
    }
}
