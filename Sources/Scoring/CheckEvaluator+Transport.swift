import AVPSModel

/// Checks of the transport itself, from what the agent read of each device's registers: the
/// modern PCI capabilities, whether a legacy interface is presented, the virtio-mmio Version
/// register, and feature words beyond every defined bit. Each judges only the devices on the
/// transport it is about (NOT_APPLICABLE when there are none) and SKIPs devices the agent could
/// not read, with its reason.
extension CheckEvaluator {
    /// VIRTIO 1.2 §4.1.4: common (1), notify (2), ISR (3) and PCI configuration access (5)
    /// capabilities always; device configuration (4) when the device type has a config space.
    static func pciModernCapabilities(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        let pci = matching.filter { $0.transport == .pci }
        guard !pci.isEmpty else { return noDevice(on: "virtio-pci", selector, matching) }
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in pci {
            guard let present = device.pciCapabilities else {
                unjudged.append((device, "PCI capabilities not readable by the agent")); continue
            }
            judged.append(device)
            let required = [1, 2, 3, 5] + (VirtioCatalogue.configFields(forDevice: device.deviceID).isEmpty ? [] : [4])
            let missing = required.filter { !present.contains($0) }
            if !missing.isEmpty {
                failures.append((device, "lacks the VIRTIO capabilities " + missing.map(capabilityName).joined(separator: ", ")
                                 + (present.isEmpty ? " (it presents none: legacy-only)" : "")))
            }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "presents the modern VIRTIO PCI capabilities",
                         evidence: judged.map { "\(DeviceText.label($0)): capabilities \(($0.pciCapabilities ?? []).map(capabilityName).joined(separator: ", "))" })
    }

    /// Whether each device presents the legacy interface at all (not whether its driver uses it).
    static func legacyInterface(_ selector: DeviceSelector, present: Bool, matching: [VirtioDeviceRecord]) -> Outcome {
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in matching {
            guard let legacy = device.legacyInterface else {
                unjudged.append((device, "the agent could not tell whether it presents a legacy interface")); continue
            }
            judged.append(device)
            if legacy != present {
                failures.append((device, legacy ? "presents the legacy interface (\(legacyForm(device)))"
                                                : "presents no legacy interface"))
            }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: present ? "presents the legacy interface" : "presents no legacy interface",
                         evidence: judged.map { "\(DeviceText.label($0)): legacy interface \($0.legacyInterface == true)" })
    }

    /// The virtio-mmio Version register of each MMIO device.
    static func mmioVersion(_ selector: DeviceSelector, version: Int, matching: [VirtioDeviceRecord]) -> Outcome {
        let mmio = matching.filter { $0.transport == .mmio }
        guard !mmio.isEmpty else { return noDevice(on: "virtio-mmio", selector, matching) }
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in mmio {
            guard let found = device.transportVersion else { unjudged.append((device, unmeasured(device))); continue }
            judged.append(device)
            if found != version { failures.append((device, "has Version \(found)" + (found == 1 ? " (the legacy register layout)" : ""))) }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "has Version \(version)",
                         evidence: judged.map { "\(DeviceText.label($0)): Version \($0.transportVersion.map(String.init) ?? "?")" })
    }

    /// No feature word beyond the last one holding a bit VIRTIO defines for the device type or
    /// the transport may be non-zero ("present 0 for words it has no bits in").
    static func definedFeatureWords(_ selector: DeviceSelector, matching: [VirtioDeviceRecord]) -> Outcome {
        var judged: [VirtioDeviceRecord] = [], failures: [(VirtioDeviceRecord, String)] = []
        var unjudged: [(VirtioDeviceRecord, String)] = []
        for device in matching {
            guard let words = device.offered?.words else { unjudged.append((device, unmeasured(device))); continue }
            let last = lastDefinedWord(device.deviceID)
            guard words.count > last + 1 else {
                unjudged.append((device, "only \(words.count) feature word(s) readable (\(device.offered?.method ?? "no method")), none beyond word \(last)"))
                continue
            }
            judged.append(device)
            let stray = words.enumerated().filter { $0.offset > last && $0.element != 0 }
            if !stray.isEmpty {
                failures.append((device, "presents non-zero feature words beyond the defined bits (word \(last) is the last with any): "
                    + stray.map { "word \($0.offset) = 0x\(String($0.element, radix: 16))" }.joined(separator: ", ")))
            }
        }
        return perDevice(selector, judged: judged, failures: failures, unjudged: unjudged,
                         passText: "presents 0 in every feature word beyond its defined bits",
                         evidence: judged.map { device in
                             "\(DeviceText.label(device)): feature words " + (device.offered?.words ?? []).enumerated()
                                 .map { "\($0.offset):0x\(String($0.element, radix: 16))" }.joined(separator: " ")
                         })
    }

    /// Index of the last feature word holding a bit VIRTIO defines for this type or the transport.
    static func lastDefinedWord(_ deviceID: Int) -> Int {
        let bits = VirtioCatalogue.transportFeatureTable.map(\.bit) + VirtioCatalogue.features(forDevice: deviceID).map(\.bit)
        return (bits.max() ?? 63) / 32
    }

    private static func noDevice(on transport: String, _ selector: DeviceSelector, _ matching: [VirtioDeviceRecord]) -> Outcome {
        Outcome(verdict: .notApplicable, reason: "No \(DeviceText.noun(selector)) sits on \(transport), so there is nothing to check.",
                evidence: matching.map { "\(DeviceText.label($0)): transport \($0.transport.rawValue)" })
    }

    private static func legacyForm(_ device: VirtioDeviceRecord) -> String {
        device.transport == .mmio ? "virtio-mmio Version 1" : "legacy I/O BAR of a transitional function"
    }

    private static func capabilityName(_ type: Int) -> String {
        switch type {
        case 1: "common"
        case 2: "notify"
        case 3: "ISR"
        case 4: "device"
        case 5: "PCI-config-access"
        case 8: "shared-memory"
        case 9: "vendor"
        default: "type \(type)"
        }
    }
}
