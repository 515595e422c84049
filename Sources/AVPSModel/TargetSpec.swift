/// A virtual device a target asks its hypervisor for, described once and hypervisor-neutral;
/// each adapter maps it to its own configuration.
public enum DeviceSpec: Sendable, Equatable, Codable {
    /// Block device backed by a fresh sparse raw file of `sizeMiB`; `discard: false` withholds
    /// the DISCARD feature, `readOnly` opens the backend read-only (the device offers RO).
    /// `scratch` (suite `scratch: true|false`) says whether avps may overwrite part of the disk;
    /// nil leaves it to the adapter (`scratchByDefault`). `powerCut` (suite `power_cut_test: true`)
    /// opts in to the destructive power-cut test on this disk (AUTO-STOR-01); nil or false: off.
    case block(sizeMiB: Int, discard: Bool = true, readOnly: Bool = false, scratch: Bool? = nil, powerCut: Bool? = nil)
    /// Network device with host user-mode networking (no privileges needed).
    case net
    case entropy
    /// A console port (virtio-console), on the same controller as the agent channel when that is virtio-serial.
    case console
    case balloon
    case scsi
    case keyboard
    case tablet
    /// 9p share of a fresh workspace directory (suite kind `9p`).
    case ninep
    /// virtio-crypto with the hypervisor's built-in software backend.
    case crypto
    case gpu
    case iommu
    /// The wrapped device through its legacy interface only (suite option `modern: false`),
    /// for block, net, entropy and balloon.
    indirect case legacy(DeviceSpec)
    /// A virtio socket device (also present whenever the agent channel is vsock).
    case vsock
    /// virtio-sound with a silent host backend (QEMU 8.2+ `virtio-sound-pci`, `-audiodev none`).
    case sound
    /// virtio-pmem backed by a fresh sparse file of `sizeMiB` (suite kind `pmem`): guest-visible
    /// persistent memory outside normal RAM, so the machine needs memory hot-plug room.
    case pmem(sizeMiB: Int)
    /// A hardware watchdog the platform emulates (not virtio: VIRTIO reserves id 35 without a
    /// device spec). `expiry` set: the destructive test lets it fire and expects the guest reset.
    case watchdog(expiry: WatchdogExpiry? = nil)
    /// A CAN controller the hypervisor emulates (suite kind `emulated-can`; QEMU's SJA1000-based
    /// Kvaser PCIcan on a bus of its own). Not virtio-can, which QEMU does not offer.
    case emulatedCAN

    /// Virtio device id the guest should see for this device; nil for a device that is not virtio.
    public var virtioDeviceID: Int? {
        switch self {
        case .block: 2
        case .net: 1
        case .entropy: 4
        case .console: 3
        case .balloon: 5
        case .scsi: 8
        case .keyboard, .tablet: 18
        case .ninep: 9
        case .crypto: 20
        case .gpu: 16
        case .iommu: 23
        case .legacy(let base): base.virtioDeviceID
        case .vsock: 19
        case .sound: 25
        case .pmem: 27
        case .watchdog, .emulatedCAN: nil
        }
    }

    /// The profile-facing kind name used in suites.
    public var kind: String {
        switch self {
        case .block: "block"
        case .net: "net"
        case .entropy: "entropy"
        case .console: "console"
        case .balloon: "balloon"
        case .scsi: "scsi"
        case .keyboard: "keyboard"
        case .tablet: "tablet"
        case .ninep: "9p"
        case .crypto: "crypto"
        case .gpu: "gpu"
        case .iommu: "iommu"
        case .legacy(let base): base.kind
        case .vsock: "vsock"
        case .sound: "sound"
        case .pmem: "pmem"
        case .watchdog: "watchdog"
        case .emulatedCAN: "emulated-can"
        }
    }

    /// Size of the backing file, for block devices (seen through `legacy`).
    public var blockSizeMiB: Int? {
        switch self {
        case .block(let sizeMiB, _, _, _, _): sizeMiB
        case .legacy(let base): base.blockSizeMiB
        default: nil
        }
    }

    /// What the suite declared about overwriting this disk (through `legacy` too); nil when it
    /// said nothing or the device is not a block device.
    public var declaredScratch: Bool? {
        switch self {
        case .block(_, _, _, let scratch, _): scratch
        case .legacy(let base): base.declaredScratch
        default: nil
        }
    }

    /// Whether the suite asked for the destructive power-cut test on this disk (through `legacy` too).
    public var powerCutTest: Bool {
        switch self {
        case .block(_, _, _, _, let powerCut): powerCut == true
        case .legacy(let base): base.powerCutTest
        default: false
        }
    }

    /// The destructive watchdog test this device asks for; nil when it must not fire.
    public var watchdogExpiry: WatchdogExpiry? {
        if case .watchdog(let expiry) = self { return expiry }
        return nil
    }

    /// Kinds that have a legacy (transitional) PCI form QEMU can force with `disable-modern=on`.
    public static let legacyCapableKinds = ["block", "net", "entropy", "balloon"]

    /// Every kind a suite may name, for error messages.
    public static let kinds = ["block", "net", "entropy", "console", "balloon", "scsi", "keyboard", "tablet",
                               "9p", "crypto", "gpu", "iommu", "vsock", "sound", "pmem", "watchdog", "emulated-can"]
}

/// The opt-in destructive watchdog test (suite `{watchdog: {expiry_test: true}}`): the agent arms
/// the watchdog with a short timeout and stops feeding it; the runner expects the hypervisor to
/// report the expiry and reset the guest, then reconnects to the rebooted agent. Off by default
/// because it reboots the guest in the middle of a run.
public struct WatchdogExpiry: Sendable, Equatable, Codable {
    /// Timeout the agent arms, in seconds (suite `expiry_seconds`).
    public var seconds: Int
    /// Accepted range of `seconds`: at least the driver's 1 s minimum; short enough that a run is
    /// not held up for long, long enough that the agent's answer leaves the guest before the reset.
    public static let allowedSeconds = 1...30
    public static let defaultSeconds = 2

    public init(seconds: Int = WatchdogExpiry.defaultSeconds) {
        self.seconds = seconds
    }
}

/// How the host talks to the agent (suite key `agent_channel`).
public enum AgentChannelKind: String, Sendable, Codable, CaseIterable {
    /// vsock when the host can give the guest one (kernel vhost-vsock, else our own backend),
    /// otherwise virtio-serial.
    case auto
    /// vsock only; a host that cannot offer it is an infrastructure error.
    case vsock
    /// virtio-serial port named `org.avps.agent.0`.
    case virtioSerial = "virtio-serial"
}

/// One machine to boot and examine: adapter + machine + device set + guest.
public struct TargetSpec: Sendable, Equatable, Codable {
    public var name: String
    /// Hypervisor adapter: `qemu` (others arrive with later adapters).
    public var adapter: String
    /// Machine type, e.g. `q35` (x86_64) or `virt` (aarch64).
    public var machine: String
    public var memoryMiB: Int
    public var cpus: Int
    /// `auto` (try KVM briefly, fall back to TCG), `kvm` or `tcg`.
    public var accelerator: String
    public var devices: [DeviceSpec]
    public var agentChannel: AgentChannelKind
    /// Extra kernel command-line words (e.g. `avps.agent=off` to boot without the agent).
    public var kernelAppend: [String]
    /// Commands and channel for `adapter: external`.
    public var external: ExternalSpec?
    /// Which QEMU build runs the target (`adapter: qemu` only); nil is the system's.
    public var qemuFrom: PackageOrigin?
    /// Which Debian kernel the reference guest boots; nil is the system's apt sources.
    public var kernelFrom: PackageOrigin?
    /// Guest CPU architecture; aarch64 runs on QEMU's `virt` machine.
    public var arch: GuestArchitecture
    /// Transport of the requested virtio devices (mmio needs an aarch64 `virt` machine).
    public var transport: DeviceTransport
    /// Remote host for `adapter: ssh`.
    public var ssh: SSHSpec?
    /// A system's guests (suite `vms:`), each a full target named `<system>/<vm>`; empty for a
    /// single guest. A system's own devices are empty: every device belongs to one VM.
    public var vms: [TargetSpec] = []
    /// What the platform must connect between the system's VMs (suite `links:`).
    public var links: [SystemLink] = []
    /// Set on a VM of a system: which system, which VM, and the system's links.
    public var membership: SystemMembership?
    /// A system's VM (short name) that the run power-cycles while its siblings are watched
    /// (suite `restart_test:`); nil: no restart test.
    public var restartTest: String?

    /// - Parameter machine: nil means `q35` for x86_64, `virt` for aarch64.
    public init(name: String, adapter: String = "qemu", machine: String? = nil, memoryMiB: Int = 256,
                cpus: Int = 1, accelerator: String = "auto", devices: [DeviceSpec],
                agentChannel: AgentChannelKind = .auto, kernelAppend: [String] = [],
                external: ExternalSpec? = nil, qemuFrom: PackageOrigin? = nil, kernelFrom: PackageOrigin? = nil,
                arch: GuestArchitecture = .x86_64, transport: DeviceTransport = .pci, ssh: SSHSpec? = nil) {
        self.name = name
        self.adapter = adapter
        self.machine = machine ?? (arch == .aarch64 ? "virt" : "q35")
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.accelerator = accelerator
        self.devices = devices
        self.agentChannel = agentChannel
        self.kernelAppend = kernelAppend
        self.external = external
        self.qemuFrom = qemuFrom
        self.kernelFrom = kernelFrom
        self.arch = arch
        self.transport = transport
        self.ssh = ssh
    }

    enum CodingKeys: String, CodingKey {
        case name, adapter, machine, memoryMiB, cpus, accelerator, devices, agentChannel, kernelAppend, external
        case qemuFrom, kernelFrom, arch, transport, ssh, vms, links, membership, restartTest
    }

    /// Plans written before `qemuFrom`, `kernelFrom`, `arch`, `transport` and `ssh` existed still
    /// load (system builds, x86_64, PCI, no remote host).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), adapter: try c.decode(String.self, forKey: .adapter),
                  machine: try c.decode(String.self, forKey: .machine), memoryMiB: try c.decode(Int.self, forKey: .memoryMiB),
                  cpus: try c.decode(Int.self, forKey: .cpus), accelerator: try c.decode(String.self, forKey: .accelerator),
                  devices: try c.decode([DeviceSpec].self, forKey: .devices),
                  agentChannel: try c.decode(AgentChannelKind.self, forKey: .agentChannel),
                  kernelAppend: try c.decode([String].self, forKey: .kernelAppend),
                  external: try c.decodeIfPresent(ExternalSpec.self, forKey: .external),
                  qemuFrom: try c.decodeIfPresent(PackageOrigin.self, forKey: .qemuFrom),
                  kernelFrom: try c.decodeIfPresent(PackageOrigin.self, forKey: .kernelFrom),
                  arch: try c.decodeIfPresent(GuestArchitecture.self, forKey: .arch) ?? .x86_64,
                  transport: try c.decodeIfPresent(DeviceTransport.self, forKey: .transport) ?? .pci,
                  ssh: try c.decodeIfPresent(SSHSpec.self, forKey: .ssh))
        vms = try c.decodeIfPresent([TargetSpec].self, forKey: .vms) ?? []
        links = try c.decodeIfPresent([SystemLink].self, forKey: .links) ?? []
        membership = try c.decodeIfPresent(SystemMembership.self, forKey: .membership)
        restartTest = try c.decodeIfPresent(String.self, forKey: .restartTest)
    }

    /// Single guests keep the plan.json shape they always had: system keys only when used.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(adapter, forKey: .adapter)
        try c.encode(machine, forKey: .machine)
        try c.encode(memoryMiB, forKey: .memoryMiB)
        try c.encode(cpus, forKey: .cpus)
        try c.encode(accelerator, forKey: .accelerator)
        try c.encode(devices, forKey: .devices)
        try c.encode(agentChannel, forKey: .agentChannel)
        try c.encode(kernelAppend, forKey: .kernelAppend)
        try c.encodeIfPresent(external, forKey: .external)
        try c.encodeIfPresent(qemuFrom, forKey: .qemuFrom)
        try c.encodeIfPresent(kernelFrom, forKey: .kernelFrom)
        try c.encode(arch, forKey: .arch)
        try c.encode(transport, forKey: .transport)
        try c.encodeIfPresent(ssh, forKey: .ssh)
        if !vms.isEmpty { try c.encode(vms, forKey: .vms) }
        if !links.isEmpty { try c.encode(links, forKey: .links) }
        try c.encodeIfPresent(membership, forKey: .membership)
        try c.encodeIfPresent(restartTest, forKey: .restartTest)
    }
}
