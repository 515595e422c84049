/// Which devices a check looks at.
public enum DeviceSelector: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Every virtio device the guest sees.
    case any
    /// Devices with this virtio device id.
    case deviceID(Int)

    public var description: String {
        switch self {
        case .any: "any"
        case .deviceID(let id): VirtioCatalogue.deviceName(id) ?? "device \(id)"
        }
    }

    /// Whether a device of the inventory is one this selector means.
    public func matches(_ device: VirtioDeviceRecord) -> Bool {
        switch self {
        case .any: true
        case .deviceID(let id): device.deviceID == id
        }
    }

    /// The catalogue device id, nil for `any`; feature and field names are resolved against it.
    public var deviceID: Int? {
        switch self {
        case .any: nil
        case .deviceID(let id): id
        }
    }
}

/// A precondition for a requirement to apply.
public enum Condition: Sendable, Equatable {
    case devicePresent(DeviceSelector)
    /// A fact of a probe that is not about one virtio device (`platform.buses`, `watchdog.basic`)
    /// satisfies a comparison: the platform offers that category. When it does not, the reason
    /// quotes the probe's explanation (`Evidence.explanationFact`).
    case probe(name: String, fact: String, Comparison)
    /// The hypervisor did not withhold this device kind (`DeviceSpec.kind`) as one it cannot
    /// offer on this target (`Evidence.withheldKey(kind:)`).
    case notWithheld(kind: String)
    /// Several conditions (several keys of one `applies_if`); all must hold, judged in order.
    case all([Condition])

    /// The conditions this one is made of, in order (itself when it is not `all`).
    public var parts: [Condition] {
        if case .all(let conditions) = self { return conditions.flatMap(\.parts) }
        return [self]
    }
}

/// How a measured value is compared with a profile's threshold.
public enum ComparisonOperator: String, Sendable, CaseIterable {
    case eq, ne, ge, le, gt, lt
    /// The value exists at all (no threshold).
    case present

    /// Operators that need numbers on both sides.
    public var isOrdering: Bool { [.ge, .le, .gt, .lt].contains(self) }

    /// The operator as people write it in reasons: `>=`, `==`, ...
    public var symbol: String {
        switch self {
        case .eq: "=="
        case .ne: "!="
        case .ge: ">="
        case .le: "<="
        case .gt: ">"
        case .lt: "<"
        case .present: "present"
        }
    }
}

/// An operator with its threshold (`nil` only for `present`).
public struct Comparison: Sendable, Equatable, CustomStringConvertible {
    public var op: ComparisonOperator
    public var value: FactValue?

    public init(_ op: ComparisonOperator, _ value: FactValue? = nil) {
        self.op = op
        self.value = value
    }

    public var description: String {
        guard op != .present, let value else { return "present" }
        return "\(op.symbol) \(value)"
    }
}

/// What a requirement measures. Each case is decided from `Evidence` alone; `Profiles/README.md`
/// documents every kind and its SKIPPED/NOT_APPLICABLE paths.
public enum Check: Sendable, Equatable {
    /// At least one matching device is present.
    case devicePresent(DeviceSelector)
    /// Every matching device with a driver bound negotiated this feature bit.
    case featureNegotiated(DeviceSelector, bit: Int)
    /// Every matching device has a driver bound and reached DRIVER_OK with FEATURES_OK.
    case driverReady(DeviceSelector)
    /// Every matching device offers this feature bit (read from the transport by the agent).
    case featureOffered(DeviceSelector, bit: Int)
    /// Every matching device negotiated only bits it offered.
    case negotiatedSubsetOfOffered(DeviceSelector)
    /// No matching device is driven through the legacy (pre-1.0) interface.
    case notLegacy(DeviceSelector)
    /// Every matching device sits on virtio-pci or virtio-mmio (VIRTIO 1.2 §4.1, §4.2), the
    /// transports AVPS platforms use; read from the inventory's `transport`.
    case standardTransport(DeviceSelector)
    /// Every matching virtio-pci device presents the VIRTIO vendor capabilities of the modern
    /// interface: common, notify, ISR and PCI-config-access, and device config where its type has
    /// a config space (VIRTIO 1.2 §4.1.4). NOT_APPLICABLE without virtio-pci devices.
    case pciModernCapabilities(DeviceSelector)
    /// Every matching device presents (`present: true`) or does not present the legacy interface:
    /// a transitional PCI function's legacy I/O BAR, virtio-mmio `Version` 1 (VIRTIO 1.2 §4.1.2,
    /// §4.2.4). Not the same as `notLegacy`, which asks whether the driver uses it.
    case legacyInterface(DeviceSelector, present: Bool)
    /// Every matching virtio-mmio device's `Version` register reads `version` (VIRTIO 1.2
    /// §4.2.2). NOT_APPLICABLE without virtio-mmio devices.
    case mmioVersion(DeviceSelector, version: Int)
    /// Every matching device presents 0 in each feature word beyond the highest bit any VIRTIO
    /// version defines for its type or the transport (the agent reads words 0..7).
    case definedFeatureWords(DeviceSelector)
    /// A decoded device-config field of every matching device satisfies a comparison.
    case config(DeviceSelector, field: String, Comparison)
    /// A fact of a guest probe satisfies a comparison.
    case probe(name: String, device: DeviceSelector?, fact: String, Comparison)
    /// A host-side observation (e.g. `boot_to_agent_seconds`) satisfies a comparison.
    case host(observation: String, Comparison)
    /// The hypervisor used the CPU's virtualization extensions where the host CPU has them
    /// (AVPS2-HWV-01): NOT_APPLICABLE without extensions, FAIL when it emulated (TCG) instead.
    case hardwareVirtualization
    /// Self-check of the harness: the agent's inventory (device list, offered bits) agrees with
    /// the hypervisor's own account of its devices where the host can ask it (QEMU's QMP). A
    /// disagreement is ERROR naming both values: the agent or its channel cannot be trusted.
    case inventoryCorroborated
    /// A fact the run observed about a system of two or more guests (isolation between VMs,
    /// guest-to-guest traffic) satisfies a comparison. Decided in the system's own result; a
    /// single guest cannot measure it and reports SKIPPED saying so.
    case system(observation: String, Comparison)

    /// The devices the check looks at; nil for checks that are not about inventory devices.
    public var selector: DeviceSelector? {
        switch self {
        case .devicePresent(let selector), .featureNegotiated(let selector, _), .driverReady(let selector),
             .featureOffered(let selector, _), .negotiatedSubsetOfOffered(let selector), .notLegacy(let selector),
             .standardTransport(let selector), .config(let selector, _, _), .pciModernCapabilities(let selector),
             .legacyInterface(let selector, _), .mmioVersion(let selector, _), .definedFeatureWords(let selector):
            selector
        case .probe(_, let device, _, _):
            device
        case .host, .hardwareVirtualization, .inventoryCorroborated, .system:
            nil
        }
    }

    /// True when the check is decided from the agent's inventory (device list, features, status,
    /// config), the part QMP corroboration compares with the hypervisor's own account.
    public var readsInventory: Bool {
        switch self {
        case .probe, .host, .hardwareVirtualization, .inventoryCorroborated, .system: false
        default: true
        }
    }

    /// True for a requirement about a pair of VMs, decided in a system's own result.
    public var isSystemScoped: Bool {
        if case .system = self { return true }
        return false
    }

    /// True when a failing check means "the platform does not offer it" (a device or a feature bit
    /// absent, or a feature not in use: offered and negotiated are what "has the feature" means
    /// for a running guest), as opposed to something offered that misbehaves. Only the first makes an optional
    /// (MAY) requirement NOT_OFFERED; an offered device that fails its behaviour still FAILs.
    public var isAboutOffering: Bool {
        switch self {
        case .devicePresent, .featureOffered, .featureNegotiated: true
        default: false
        }
    }

    /// The profile-facing name of the check kind (`feature_offered`, ...), as in the YAML.
    public var kind: String {
        switch self {
        case .devicePresent: "device_present"
        case .featureNegotiated: "feature_negotiated"
        case .driverReady: "driver_ready"
        case .featureOffered: "feature_offered"
        case .negotiatedSubsetOfOffered: "negotiated_subset_of_offered"
        case .notLegacy: "not_legacy"
        case .standardTransport: "standard_transport"
        case .pciModernCapabilities: "pci_modern_capabilities"
        case .legacyInterface: "legacy_interface"
        case .mmioVersion: "mmio_version"
        case .definedFeatureWords: "defined_feature_words"
        case .config: "config"
        case .probe: "probe"
        case .host: "host"
        case .hardwareVirtualization: "hardware_virtualization"
        case .inventoryCorroborated: "inventory_corroborated"
        case .system: "system"
        }
    }
}
