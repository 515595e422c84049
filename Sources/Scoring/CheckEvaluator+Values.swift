import AVPSModel

/// Checks on measured values: decoded config fields, probe facts and host observations.
extension CheckEvaluator {
    /// Every matching device's config field satisfies the comparison.
    ///
    /// A field missing from the decoded config is a FAIL when the catalogue says the device
    /// does not provide it (its enabling feature was not negotiated), and SKIPPED when it should
    /// be there (the agent did not decode it).
    static func config(_ field: String, _ comparison: Comparison, selector: DeviceSelector,
                       matching: [VirtioDeviceRecord]) -> Outcome {
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = [], evidence: [String] = []
        for device in matching {
            guard let config = device.config else {
                unjudged.append((device, "the agent did not decode its config space")); continue
            }
            guard let value = reported(field, in: config, deviceID: device.deviceID) else {
                if let missingFeature = featureMissing(for: field, on: device) {
                    judged.append(device)
                    failures.append((device, "does not provide \(field) (valid only with \(missingFeature), not negotiated)"))
                } else {
                    unjudged.append((device, "the agent did not report config field \(field)"))
                }
                continue
            }
            evidence.append("\(DeviceText.label(device)): \(field) = \(value)")
            switch ComparisonEvaluator.evaluate(value, comparison) {
            case .holds: judged.append(device)
            case .violated: judged.append(device); failures.append((device, "has \(field) = \(value), expected \(comparison)"))
            case .incomparable(let why): return Outcome(verdict: .error, reason: "\(DeviceText.label(device)): \(why).", evidence: evidence)
            }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "has \(field) \(comparison)", evidence: evidence)
    }

    /// The field under its spec name or any spelling the agent may use (`cylinders` for
    /// `geometry.cylinders`).
    static func reported(_ field: String, in config: [String: FactValue], deviceID: Int) -> FactValue? {
        if let value = config[field] { return value }
        let spellings = VirtioCatalogue.configField(named: field, forDevice: deviceID)?.spellings ?? []
        return spellings.lazy.compactMap { config[$0] }.first
    }

    /// The enabling feature of `field` when the device is bound and did not negotiate any of them.
    static func featureMissing(for field: String, on device: VirtioDeviceRecord) -> String? {
        guard device.driver != nil,
              let spec = VirtioCatalogue.configField(named: field, forDevice: device.deviceID),
              !spec.validWith.isEmpty else { return nil }
        let bits = spec.validWith.compactMap { VirtioCatalogue.feature(named: $0, forDevice: device.deviceID)?.bit }
        guard !bits.contains(where: device.negotiatedFeatures.contains) else { return nil }
        return spec.validWith.joined(separator: " or ")
    }

    /// A fact of the named probe satisfies the comparison on every run of the probe that matches.
    static func probe(_ name: String, device selector: DeviceSelector?, fact: String, _ comparison: Comparison,
                      evidence: Evidence) -> Outcome {
        let runs = evidence.probes.filter { run in
            guard run.name == name else { return false }
            guard let selector else { return true }
            return evidence.devices.contains { $0.name == run.device && selector.matches($0) }
        }
        let scope = selector.map { " on any \(DeviceText.noun($0))" } ?? ""
        guard !runs.isEmpty else {
            return Outcome(verdict: .skipped, reason: "Probe \(name) was not run\(scope).", evidence: [])
        }
        let lines = runs.map(probeLine)
        if let broken = runs.first(where: { $0.status == .error }) {
            return Outcome(verdict: .error, reason: "Probe \(name) broke: \(broken.reason ?? "no reason given").", evidence: lines)
        }
        let ran = runs.filter { $0.status == .ok }
        guard !ran.isEmpty else {
            let reasons = Set(runs.map { $0.reason ?? "no reason given" }).sorted().joined(separator: "; ")
            return Outcome(verdict: .skipped, reason: "Probe \(name) could not run here: \(reasons).", evidence: lines)
        }
        return judge(name, ran, fact: fact, comparison, lines: lines)
    }

    /// A host observation satisfies the comparison.
    static func host(_ observation: String, _ comparison: Comparison, observations: [String: FactValue]) -> Outcome {
        guard let value = observations[observation] else {
            if case .string(let why)? = observations[Evidence.notRecordedKey(observation)] {
                return Outcome(verdict: .skipped, reason: "The host did not record \(observation) for this target: \(why).", evidence: [])
            }
            return Outcome(verdict: .skipped, reason: "The host did not record \(observation) for this target.", evidence: [])
        }
        let line = "host: \(observation) = \(value)"
        switch ComparisonEvaluator.evaluate(value, comparison) {
        case .holds:
            return Outcome(verdict: .pass, reason: "The host observed \(observation) = \(value) (\(comparison)).", evidence: [line])
        case .violated:
            let detail = observations[Evidence.detailKey(observation)].map { ": \($0)" } ?? ""
            return Outcome(verdict: .fail, reason: "The host observed \(observation) = \(value)\(detail); expected \(comparison).", evidence: [line])
        case .incomparable(let why):
            return Outcome(verdict: .error, reason: "Host observation \(observation): \(why).", evidence: [line])
        }
    }

    /// `block.integrity on virtio2: ok, bytes=1048576, ...`.
    static func probeLine(_ run: ProbeResult) -> String {
        let facts = run.facts.keys.sorted().map { "\($0)=\(run.facts[$0].map(\.description) ?? "")" }
        let head = "\(run.name)\(run.device.map { " on \($0)" } ?? ""): \(run.status.rawValue)"
        let tail = run.reason.map { " (\($0))" } ?? ""
        return ([head] + facts).joined(separator: ", ") + tail
    }
}
