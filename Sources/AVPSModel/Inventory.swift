/// How a virtio device reaches the guest.
public enum VirtioTransport: String, Codable, Sendable {
    case pci, mmio, ccw, unknown
}

/// A set of virtio feature bits, stored as sorted bit numbers so that JSON stays readable and
/// bits above 63 need no special casing.
public struct FeatureBits: Codable, Sendable, Hashable, CustomStringConvertible {
    public private(set) var bits: [Int]

    public init<S: Sequence>(_ bits: S) where S.Element == Int {
        self.bits = Array(Set(bits)).sorted()
    }

    /// Parses Linux's sysfs `features` string: character i is bit i, leftmost first.
    public init?(sysfsString: String) {
        var found: [Int] = []
        for (index, character) in sysfsString.trimmingCharactersInNewlines().enumerated() {
            switch character {
            case "1": found.append(index)
            case "0": continue
            default: return nil
            }
        }
        self.init(found)
    }

    public func contains(_ bit: Int) -> Bool { bits.contains(bit) }

    public func isSubset(of other: FeatureBits) -> Bool { Set(bits).isSubset(of: Set(other.bits)) }

    public var description: String { bits.map(String.init).joined(separator: ",") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(try container.decode([Int].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bits)
    }
}

extension String {
    func trimmingCharactersInNewlines() -> Substring {
        var slice = Substring(self)
        while let last = slice.last, last.isNewline || last == " " { slice = slice.dropLast() }
        return slice
    }
}

/// One entry of the guest's `/sys/bus/virtio/devices`, as the agent reports it.
public struct VirtioDeviceRecord: Codable, Sendable, Equatable {
    /// Kernel name, e.g. `virtio3` (an ordering artefact, not an identity).
    /// Set by the host (never the agent) on the device avps added for its own agent channel
    /// (the virtio-serial controller or the vsock device the target did not ask for): it does not
    /// by itself satisfy a presence requirement.
    public var agentChannel: Bool?
    public var name: String
    /// Virtio device id (1 = net, 2 = block, ...), not the PCI device id.
    public var deviceID: Int
    public var vendorID: Int
    public var transport: VirtioTransport
    /// Parent bus address, e.g. `0000:00:02.0` for PCI or `feb02e00.virtio_mmio` for MMIO.
    public var busAddress: String?
    /// PCI device id of the parent function (0x1040+id modern, 0x1000-0x103f transitional).
    public var pciDeviceID: Int?
    /// Features the guest driver accepted (sysfs `features`).
    public var negotiatedFeatures: FeatureBits
    /// Device status register (ACKNOWLEDGE=1, DRIVER=2, DRIVER_OK=4, FEATURES_OK=8, ...).
    public var status: Int
    /// Bound driver name, nil when no driver is bound.
    public var driver: String?
    /// Features the device offers, read from the transport (nil: not measured; see `offered`).
    public var offered: OfferedFeatures?
    /// True for a legacy-only or transitional device driven through its legacy interface.
    public var legacy: Bool?
    /// virtio-mmio `Version` register: 1 legacy, 2 modern (nil: other transports, or not readable).
    public var transportVersion: Int?
    /// Number of virtqueues the device exposes (nil: not measured).
    public var queues: Int?
    /// True when the device presents the legacy interface at all (a transitional PCI function's
    /// legacy I/O BAR, virtio-mmio Version 1), whether or not its driver uses it (nil: unknown).
    public var legacyInterface: Bool?
    /// virtio-pci only: `cfg_type` of every VIRTIO vendor capability the function presents
    /// (1 common, 2 notify, 3 ISR, 4 device, 5 PCI config access, 8 shared memory; nil: unknown).
    public var pciCapabilities: [Int]?
    /// Decoded device-specific config fields, by spec field name (e.g. `capacity`, `mac`, `mtu`).
    public var config: [String: FactValue]?

    public init(name: String, deviceID: Int, vendorID: Int, transport: VirtioTransport,
                busAddress: String? = nil, pciDeviceID: Int? = nil, negotiatedFeatures: FeatureBits,
                status: Int, driver: String?) {
        self.name = name
        self.deviceID = deviceID
        self.vendorID = vendorID
        self.transport = transport
        self.busAddress = busAddress
        self.pciDeviceID = pciDeviceID
        self.negotiatedFeatures = negotiatedFeatures
        self.status = status
        self.driver = driver
    }

    enum CodingKeys: String, CodingKey {
        case name
        case deviceID = "device_id"
        case vendorID = "vendor_id"
        case transport
        case busAddress = "bus_address"
        case pciDeviceID = "pci_device_id"
        case negotiatedFeatures = "negotiated_features"
        case status, driver, offered, legacy, queues, config
        case transportVersion = "transport_version"
        case agentChannel = "agent_channel"
        case legacyInterface = "legacy_interface"
        case pciCapabilities = "pci_capabilities"
    }
}

/// Device-offered feature bits and how they were obtained.
///
/// `bits` is nil when every method the agent knows was refused by the guest kernel; `method` or
/// `unavailableReason` then say why. A missing measurement is never reported as "no features".
public struct OfferedFeatures: Codable, Sendable, Equatable {
    public var bits: FeatureBits?
    /// The raw 32-bit feature words as read, index = selector (words 0..7 through a selector;
    /// one word through the legacy I/O BAR). `bits` covers words 0..3 (PCI) or 0..1 (MMIO): the
    /// words beyond are kept apart so a transport that repeats low words there is reported, not
    /// believed (see `Check.definedFeatureWords`).
    public var words: [Int]?
    /// e.g. `pci-cfg-window`, `mmio-registers`, `legacy-io-bar`, `debugfs`.
    public var method: String?
    public var unavailableReason: String?

    public init(bits: FeatureBits?, method: String?, unavailableReason: String? = nil) {
        self.bits = bits
        self.method = method
        self.unavailableReason = unavailableReason
    }

    enum CodingKeys: String, CodingKey {
        case bits, words, method
        case unavailableReason = "unavailable_reason"
    }
}

/// What the agent says about itself in `hello`.
public struct GuestIdentity: Codable, Sendable, Equatable {
    public var agentVersion: String
    public var protocolVersion: Int
    public var kernelRelease: String
    public var machine: String

    public init(agentVersion: String, protocolVersion: Int, kernelRelease: String, machine: String) {
        self.agentVersion = agentVersion
        self.protocolVersion = protocolVersion
        self.kernelRelease = kernelRelease
        self.machine = machine
    }

    enum CodingKeys: String, CodingKey {
        case agentVersion = "agent_version"
        case protocolVersion = "protocol_version"
        case kernelRelease = "kernel_release"
        case machine
    }
}
