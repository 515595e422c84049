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

    /// Results written before probes existed have neither key; they decode as empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guest = try container.decode(GuestIdentity.self, forKey: .guest)
        devices = try container.decode([VirtioDeviceRecord].self, forKey: .devices)
        probes = try container.decodeIfPresent([ProbeResult].self, forKey: .probes) ?? []
        hostObservations = try container.decodeIfPresent([String: FactValue].self, forKey: .hostObservations) ?? [:]
    }
}
