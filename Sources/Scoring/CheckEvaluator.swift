import AVPSModel

/// Decides one `Check` against the inventory.
///
/// When no device matches the selector of `featureNegotiated` or `driverReady`:
/// - `any` with an empty inventory is NOT_APPLICABLE: "every device does X" holds vacuously,
///   and calling it PASS would credit a platform that offers nothing; the presence
///   requirements of the profile report the missing devices instead.
/// - a specific device is FAIL: a requirement without `applies_if` is unconditional, so it
///   needs the device. Profiles make a requirement conditional with `applies_if`.
///
/// `featureNegotiated` judges only devices with a driver bound: Linux reports all-zero
/// features for an unbound device, which says nothing about what it offers. Unbound devices are
/// listed in the evidence; when none of the matching devices is bound the verdict is SKIPPED
/// (`driverReady` is where an unbound device fails).
enum CheckEvaluator {
    struct Outcome: Equatable {
        var verdict: Verdict
        var reason: String
        var evidence: [String]
    }

    static func evaluate(_ check: Check, devices: [VirtioDeviceRecord]) -> Outcome {
        let matching = devices.filter(check.selector.matches)
        switch check {
        case .devicePresent(let selector):
            return present(selector, matching: matching, all: devices)
        case .featureNegotiated(let selector, let bit):
            if matching.isEmpty { return noMatch(selector, all: devices) }
            return negotiated(bit, selector: selector, matching: matching)
        case .driverReady(let selector):
            if matching.isEmpty { return noMatch(selector, all: devices) }
            return driverReady(selector, matching: matching)
        }
    }

    static func present(_ selector: DeviceSelector, matching: [VirtioDeviceRecord],
                        all: [VirtioDeviceRecord]) -> Outcome {
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
}
