/// Everything learned about one booted target; the input of scoring.
public struct Evidence: Codable, Sendable, Equatable {
    public var guest: GuestIdentity
    public var devices: [VirtioDeviceRecord]
    /// Behavioural probes run in the guest (empty when none ran).
    public var probes: [ProbeResult]
    /// Facts the host observed itself (boot time to agent, QMP host-features, ...), by name.
    public var hostObservations: [String: FactValue]

    public init(guest: GuestIdentity, devices: [VirtioDeviceRecord], probes: [ProbeResult] = [],
                hostObservations: [String: FactValue] = [:]) {
        self.guest = guest
        self.devices = devices
        self.probes = probes
        self.hostObservations = hostObservations
    }

    enum CodingKeys: String, CodingKey {
        case guest, devices, probes
        case hostObservations = "host_observations"
    }

    /// Host observation saying why the hypervisor could not offer a requested device type
    /// (`hypervisor.withheld.sound`), so requirements about it say so instead of "none offered".
    public static func withheldKey(deviceID: Int) -> String {
        "hypervisor.withheld.\(VirtioCatalogue.deviceName(deviceID) ?? String(deviceID))"
    }

    /// Host observation saying the agent reported a device of this type that the target does not
    /// declare (`declared.undeclared.rng`): requirements about that type are ERROR with the text,
    /// because a claim the configuration cannot back is the guest's word against the host's.
    public static func undeclaredKey(deviceID: Int) -> String {
        "declared.undeclared.\(VirtioCatalogue.deviceName(deviceID) ?? String(deviceID))"
    }

    /// The same for a requested device kind that is not virtio (`hypervisor.withheld.watchdog`).
    public static func withheldKey(kind: String) -> String {
        "hypervisor.withheld.\(kind)"
    }

    /// Present (naming the system) only in the evidence a system's own result is scored from, so
    /// `system` checks are judged there and SKIPPED on single guests.
    public static let systemScopeKey = "system.name"

    /// Host observation explaining why the observation `name` was not recorded on this target
    /// (a destructive test that was not enabled), so its check can say so when SKIPPED.
    public static func notRecordedKey(_ name: String) -> String {
        "\(name).not_recorded"
    }

    /// Host observation saying what the host saw behind the value of `name` (the watchdog's
    /// agent kept its boot id), quoted when a check on `name` FAILs.
    public static func detailKey(_ name: String) -> String {
        "\(name).detail"
    }

    /// The fact in which a probe explains the value of `fact` (why a count is zero): the fact's
    /// name with its last `_word` replaced by `_reason` (`can_count` -> `can_reason`).
    public static func explanationFact(for fact: String) -> String {
        guard let underscore = fact.lastIndex(of: "_") else { return fact + "_reason" }
        return fact[..<underscore] + "_reason"
    }

    /// Results written before probes existed have neither key; they decode as empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guest = try container.decode(GuestIdentity.self, forKey: .guest)
        devices = try container.decode([VirtioDeviceRecord].self, forKey: .devices)
        probes = try container.decodeIfPresent([ProbeResult].self, forKey: .probes) ?? []
        hostObservations = try container.decodeIfPresent([String: FactValue].self, forKey: .hostObservations) ?? [:]
    }
}
