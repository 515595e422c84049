/// A connection the platform must provide between guests of a system (suite `links:`).
public struct SystemLink: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A virtual network between the named VMs: guest-to-guest IP traffic (AVPS2-NET-06).
        case network
        /// A vsock path between the named VMs: sibling guests reach each other by CID.
        case vsock
        /// A memory region every named VM maps (inter-VM shared memory; QEMU's ivshmem).
        case sharedMemory = "shared-memory"
    }

    public var kind: Kind
    /// Short VM names (as in `vms:`), at least two, in suite order.
    public var vms: [String]
    /// Size of the region in MiB (shared-memory only).
    public var sizeMiB: Int?
    /// Host UDP port of each VM in `vms` (network links on one host): chosen by the run just
    /// before the launch, nil in a suite and in a plan written before the launch.
    public var ports: [Int]?

    public static let defaultSharedMemoryMiB = 4

    public init(kind: Kind, vms: [String], sizeMiB: Int? = nil, ports: [Int]? = nil) {
        self.kind = kind
        self.vms = vms
        self.sizeMiB = sizeMiB
        self.ports = ports
    }
}

/// Where one guest sits in a system: the system, its own short name and position, and every
/// link of the system (the adapter wires those this VM takes part in).
public struct SystemMembership: Sendable, Equatable, Codable {
    /// The system's name (the suite target's `name`).
    public var system: String
    /// This VM's short name (its `vms:` entry's `name`).
    public var vm: String
    /// Position in `vms:` (0-based); decides addresses and CIDs so they are the same in every run.
    public var index: Int
    /// Short names of every VM of the system, in suite order.
    public var siblings: [String]
    public var links: [SystemLink]
    /// Where the run keeps what the VMs share on the host (shared-memory backing files): set by
    /// the run just before the launch, nil in a suite.
    public var sharedDirectory: String?
    /// Negative controls only: isolation the run breaks on purpose (never set from a suite).
    public var faults: IsolationFaults = []

    public init(system: String, vm: String, index: Int, siblings: [String], links: [SystemLink]) {
        self.system = system
        self.vm = vm
        self.index = index
        self.siblings = siblings
        self.links = links
    }

    /// The guest CID of a VM of the system in its shared vsock namespace (the host stays CID 2).
    public static func vsockCID(index: Int) -> UInt32 { UInt32(3 + index) }

    /// This VM's guest CID in the system's vsock namespace.
    public var vsockCID: UInt32 { Self.vsockCID(index: index) }

    /// The links this VM takes part in, with their position among the system's links.
    public var ownLinks: [(index: Int, link: SystemLink)] {
        links.enumerated().filter { $0.element.vms.contains(vm) }.map { ($0.offset, $0.element) }
    }

    /// Static IPv4 address of VM `index` on network link `link` (192.168.(100+link).(index+1)/24):
    /// private, fixed per suite, never routed off the machine.
    public static func networkAddress(link: Int, index: Int) -> String { "192.168.\(100 + link).\(index + 1)" }
    public static let networkPrefixLength = 24
    /// The broadcast address of network link `link` (its /24).
    public static func networkBroadcast(link: Int) -> String { "192.168.\(100 + link).255" }

    /// Locally administered MAC of VM `index` on network link `link`, so the agent finds the NIC.
    public static func networkMAC(link: Int, index: Int) -> String {
        networkMACPrefix + hex(link) + ":" + hex(index)
    }
    public static let networkMACPrefix = "52:54:00:a5:"


    private static func hex(_ value: Int) -> String {
        let digits = Array("0123456789abcdef")
        let byte = value & 0xff
        return String([digits[byte >> 4], digits[byte & 0xf]])
    }
}

extension TargetSpec {
    /// True for a system: a target made of two or more guests (`vms:`).
    public var isSystem: Bool { !vms.isEmpty }

    /// The name of a member VM's target: `<system>/<vm>` (also its artifact directory).
    public static func memberName(system: String, vm: String) -> String { "\(system)/\(vm)" }

    /// Every guest this target boots: the VMs of a system, or the target itself.
    public var guests: [TargetSpec] { isSystem ? vms : [self] }
}

/// Isolation deliberately broken between a system's VMs, for negative controls only (tests set it
/// on the runner; no suite can): each makes one isolation check FAIL for real, so none of them can
/// pass by construction.
public struct IsolationFaults: OptionSet, Sendable, Codable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Every VM's first disk is backed by one file (AVPS2-STOR-09 must FAIL).
    public static let sharedDisk = IsolationFaults(rawValue: 1)
    /// Every VM's first 9p share exports one host directory (AVPS2-FS-04 must FAIL).
    public static let sharedShare = IsolationFaults(rawValue: 2)
    /// A watchdog expiry resets every VM of the system, as a platform whose watchdog handling is
    /// system-wide would (AVPS2-WDT-05 must FAIL).
    public static let systemWideWatchdog = IsolationFaults(rawValue: 4)
    /// The network link delivers each VM's frames back to itself, never to its siblings: two VMs
    /// send to their own port, three or more each join a multicast group of their own (AVPS2-NET-06 must FAIL).
    public static let severedNetwork = IsolationFaults(rawValue: 8)
    /// Each VM of a shared-memory link maps a backing file of its own (AUTO-SHM-01 must FAIL).
    public static let separateSharedMemory = IsolationFaults(rawValue: 16)
    /// Each VM of a vsock link gets a vsock backend of its own, so no sibling CID exists for it
    /// (AUTO-VSOCK-02 must FAIL).
    public static let severedVsock = IsolationFaults(rawValue: 32)
    /// The shared vsock backend holds every delivery to a guest 15 ms (packets from a sibling and
    /// input from the host), so a guest-to-guest round trip takes 30 ms or more and a host one
    /// 15 ms or more (AUTO-VSOCK-03 and each VM's AUTO-VSOCK-01 must FAIL; the data still arrives
    /// intact, AUTO-VSOCK-02 PASSes).
    public static let slowVsock = IsolationFaults(rawValue: 64)
    /// Power-cycling the restart test's VM power-cycles every VM of the system, as a platform
    /// whose VM restart is system-wide would (AUTO-SYS-01 must FAIL).
    public static let systemWideRestart = IsolationFaults(rawValue: 128)
}
