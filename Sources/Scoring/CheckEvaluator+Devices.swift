import AVPSModel

extension CheckEvaluator {
    /// Every matching device with a driver bound negotiated `bit`.
    static func negotiated(_ bit: Int, selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        let feature = VirtioCatalogue.featureName(bit: bit, forDevice: selector.deviceID)
        let bound = matching.filter { $0.driver != nil }
        let unbound = matching.filter { $0.driver == nil }
        let evidence = bound.map(DeviceText.negotiated)
            + unbound.map { "\(DeviceText.label($0)): no driver bound, negotiated features unknown" }
        guard !bound.isEmpty else {
            return Outcome(verdict: .skipped,
                           reason: "No matching device has a driver bound, so whether \(feature) was negotiated cannot be read.",
                           evidence: evidence)
        }
        let missing = bound.filter { !$0.negotiatedFeatures.contains(bit) }
        guard missing.isEmpty else {
            let verb = missing.count == 1 ? "did" : "do"
            return Outcome(verdict: .fail,
                           reason: "\(missing.count) of \(bound.count) \(DeviceText.noun(selector))s \(verb) not negotiate \(feature) (bit \(bit)): \(DeviceText.list(missing)).",
                           evidence: evidence)
        }
        let subject = bound.count == 1 ? "The \(DeviceText.noun(selector))" : "All \(bound.count) \(DeviceText.noun(selector))s"
        let skippedNote = unbound.isEmpty ? "" : " (\(unbound.count) without a driver not judged)"
        return Outcome(verdict: .pass, reason: "\(subject) negotiated \(feature) (bit \(bit))\(skippedNote).",
                       evidence: evidence)
    }

    /// Every matching device has a driver bound, FEATURES_OK and DRIVER_OK set, and neither
    /// FAILED nor DEVICE_NEEDS_RESET.
    static func driverReady(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        let problems = matching.compactMap { device in problem(device).map { (device, $0) } }
        let evidence = matching.map(DeviceText.driverState)
        guard problems.isEmpty else {
            let details = problems.map { "\(DeviceText.label($0.0)) \($0.1)" }.joined(separator: "; ")
            return Outcome(verdict: .fail,
                           reason: "\(problems.count) of \(matching.count) \(DeviceText.noun(selector))s not ready: \(details).",
                           evidence: evidence)
        }
        let subject = matching.count == 1 ? "The \(DeviceText.noun(selector))" : "All \(matching.count) \(DeviceText.noun(selector))s"
        return Outcome(verdict: .pass, reason: "\(subject) reached DRIVER_OK with a driver bound.", evidence: evidence)
    }

    /// What keeps a device from being ready, nil when it is. FEATURES_OK belongs to the modern
    /// interface only: a driver that negotiated without VERSION_1 (bit 32) never sets it, so a
    /// legacy device is judged on DRIVER_OK alone (its legacy use is the not-legacy checks' finding).
    static func problem(_ device: VirtioDeviceRecord) -> String? {
        let status = VirtioDeviceStatus(rawValue: device.status)
        let modern = device.negotiatedFeatures.contains(32)
        if device.driver == nil { return "has no driver bound" }
        if status.contains(.failed) { return "has FAILED set (the driver gave up)" }
        if status.contains(.needsReset) { return "has DEVICE_NEEDS_RESET set" }
        if modern, !status.contains(.featuresOK) { return "lacks FEATURES_OK (feature negotiation did not complete)" }
        if !status.contains(.driverOK) { return "lacks DRIVER_OK" }
        return nil
    }
}
