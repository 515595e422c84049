/// A machine-readable requirement profile (for example `Profiles/avps-2.0.yaml`).
public struct Profile: Sendable, Equatable {
    /// The profile file schema this code reads (`schema:` in the YAML). Bumped on any change that
    /// an older loader would misread.
    public static let currentSchemaVersion = 1

    public var id: String
    public var title: String
    /// Version of the source specification the requirements are derived from (e.g. "2.0").
    public var specVersion: String
    public var requirements: [Requirement]

    public init(id: String, title: String, specVersion: String, requirements: [Requirement]) {
        self.id = id
        self.title = title
        self.specVersion = specVersion
        self.requirements = requirements
    }
}

/// How sure we are that a requirement says what the specification says.
public enum Confidence: String, Codable, Sendable, CaseIterable {
    /// Checked against the specification text.
    case textVerified = "text-verified"
    /// Derived from chapter structure, project pages and VIRTIO; not yet checked against the text.
    case derived
}

/// One requirement of a profile. Text fields are our own paraphrase, never spec sentences.
public struct Requirement: Sendable, Equatable {
    /// Stable key, e.g. `AVPS2-STOR-01`.
    public var key: String
    public var title: String
    /// Chapter name of the source specification (names are stable across versions; numbers are not).
    public var chapter: String
    /// Device category used to group results (e.g. `general`, `storage`, `entropy`).
    public var category: String
    public var level: RequirementLevel
    /// When set and not met, the requirement is NOT_APPLICABLE rather than FAIL.
    public var appliesIf: Condition?
    /// nil: no machine check yet (scored UNTESTED).
    public var check: Check?
    /// The VIRTIO section the requirement rests on, e.g. "VIRTIO 1.2 §5.4".
    public var virtioReference: String?
    public var confidence: Confidence
    public var rationale: String

    public init(key: String, title: String, chapter: String, category: String, level: RequirementLevel,
                appliesIf: Condition? = nil, check: Check?, virtioReference: String? = nil,
                confidence: Confidence, rationale: String) {
        self.key = key
        self.title = title
        self.chapter = chapter
        self.category = category
        self.level = level
        self.appliesIf = appliesIf
        self.check = check
        self.virtioReference = virtioReference
        self.confidence = confidence
        self.rationale = rationale
    }
}

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
}

/// A precondition for a requirement to apply.
public enum Condition: Sendable, Equatable {
    case devicePresent(DeviceSelector)
}

extension DeviceSelector {
    /// Whether a device of the inventory is one this selector means.
    public func matches(_ device: VirtioDeviceRecord) -> Bool {
        switch self {
        case .any: true
        case .deviceID(let id): device.deviceID == id
        }
    }

    /// The catalogue device id, nil for `any`; feature names are resolved against it.
    public var deviceID: Int? {
        switch self {
        case .any: nil
        case .deviceID(let id): id
        }
    }
}

/// What a requirement measures. Each case is decided from `Evidence` alone.
///
/// When no device matches the selector of `featureNegotiated` or `driverReady`: a specific
/// device (`block`) must match, because a requirement without `applies_if` is unconditional
/// (write `applies_if: { device_present: block }` to make it conditional); `any` with an empty
/// inventory is NOT_APPLICABLE, since there is nothing to hold to the rule.
public enum Check: Sendable, Equatable {
    /// At least one matching device is present.
    case devicePresent(DeviceSelector)
    /// Every matching device negotiated this feature bit (at least one device must match).
    case featureNegotiated(DeviceSelector, bit: Int)
    /// Every matching device has a driver bound and reached DRIVER_OK with FEATURES_OK.
    case driverReady(DeviceSelector)

    /// The devices the check looks at.
    public var selector: DeviceSelector {
        switch self {
        case .devicePresent(let selector), .featureNegotiated(let selector, _), .driverReady(let selector):
            selector
        }
    }
}
