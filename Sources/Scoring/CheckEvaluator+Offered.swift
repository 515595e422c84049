import AVPSModel

/// Checks that read what a device offers on its transport, and its legacy flag. The agent may be
/// unable to read offered features (kernel lockdown, claimed BARs); such devices are SKIPPED with
/// the agent's reason, never counted as "offers nothing".
extension CheckEvaluator {
    /// Every measured matching device offers `bit`.
    static func offered(_ bit: Int, selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        let feature = VirtioCatalogue.featureName(bit: bit, forDevice: selector.deviceID)
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in matching {
            guard let bits = device.offered?.bits else { unjudged.append((device, unmeasured(device))); continue }
            judged.append(device)
            if !bits.contains(bit) { failures.append((device, "does not offer \(feature) (bit \(bit))")) }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "offered \(feature) (bit \(bit))", evidence: judged.map(DeviceText.offered))
    }

    /// Every matching device with a driver bound negotiated only bits it offered.
    static func negotiatedSubset(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in matching {
            guard device.driver != nil else {
                unjudged.append((device, "no driver bound, negotiated features unknown")); continue
            }
            guard let offered = device.offered?.bits else { unjudged.append((device, unmeasured(device))); continue }
            judged.append(device)
            let extra = Set(device.negotiatedFeatures.bits).subtracting(offered.bits).sorted()
            if !extra.isEmpty {
                let names = extra.map { VirtioCatalogue.featureName(bit: $0, forDevice: device.deviceID) }
                failures.append((device, "negotiated bits it did not offer: \(names.joined(separator: ", "))"))
            }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "negotiated only offered features",
                         evidence: judged.flatMap { [DeviceText.offered($0), DeviceText.negotiated($0)] })
    }

    /// No matching device is driven through the legacy interface.
    static func notLegacy(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in matching {
            guard let legacy = device.legacy else {
                unjudged.append((device, "the agent did not report whether it is legacy")); continue
            }
            judged.append(device)
            if legacy { failures.append((device, "is driven through the legacy (pre-1.0) interface")) }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "uses the modern interface",
                         evidence: judged.map { "\(DeviceText.label($0)): legacy \($0.legacy == true)" })
    }

    /// Every matching device sits on virtio-pci or virtio-mmio. `unknown` (the agent found the
    /// device on neither) and `ccw` (s390 channel I/O, standard VIRTIO but no AVPS platform's) fail.
    static func standardTransport(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        var failures: [(VirtioDeviceRecord, String)] = []
        for device in matching where ![.pci, .mmio].contains(device.transport) {
            failures.append((device, device.transport == .ccw ? "sits on channel I/O (ccw), not PCI or MMIO"
                                                                 : "sits on no standard VIRTIO transport the agent recognises"))
        }
        return perDevice(selector, judged: matching, failures: failures, unjudged: [],
                         passText: "sits on virtio-pci or virtio-mmio",
                         evidence: matching.map { "\(DeviceText.label($0)): transport \($0.transport.rawValue)" })
    }

    /// Why a device's offered features are unknown, in the agent's words when it gave any.
    static func unmeasured(_ device: VirtioDeviceRecord) -> String {
        if let reason = device.offered?.unavailableReason { return "offered features unavailable: \(reason)" }
        return "offered features not reported by the agent"
    }
}
