import AVPSModel
import HypervisorCore

/// Builds a QEMU command line from a hypervisor-neutral target. Pure: no files are touched, so the
/// exact command can be shown by `--plan` and recorded in the results before anything starts.
public enum QEMUCommandLine {
    /// Name of the virtio-serial port the agent opens (PROTOCOL.md).
    public static let agentPortName = AgentStreams.serialPortName

    public struct Paths: Sendable {
        public var qmpSocket: String
        public var agentSocket: String
        public var serialLog: String
        public var workspace: String
        /// vhost-user socket of our vsock backend (when it provides the vsock device).
        public var vsockSocket: String = ""

        public init(qmpSocket: String, agentSocket: String, serialLog: String, workspace: String, vsockSocket: String = "") {
            self.qmpSocket = qmpSocket
            self.agentSocket = agentSocket
            self.serialLog = serialLog
            self.workspace = workspace
            self.vsockSocket = vsockSocket
        }
    }

    /// Returns the arguments (without the binary) and the virtio device ids the guest should see.
    /// - Parameter vsock: how the vsock device is provided; nil when the guest gets none.
    /// - Parameter omitting: device kinds the QEMU build cannot offer; left out of the guest.
    public static func arguments(
        for target: TargetSpec, accelerator: String, boot: BootArtifacts, paths: Paths,
        vsock: AgentChannelChoice? = nil, omitting: Set<String> = []
    ) throws(HypervisorError) -> (arguments: [String], expectedDevices: [Int]) {
        guard target.memoryMiB >= 64 else { throw .invalidTarget("memory_mib must be at least 64 (got \(target.memoryMiB))") }
        guard (1...64).contains(target.cpus) else { throw .invalidTarget("cpus must be 1...64 (got \(target.cpus))") }
        let machine = QEMUMachine(target)
        try machine.validate(machine: target.machine)
        var args = [
            "-name", "avps-\(target.name)",
            "-machine", target.machine + machine.machineOptions(machine: target.machine) + (vsock.map(memoryBackendMachineOption) ?? ""),
        ] + machine.cpuArguments + [
            "-accel", accelerator,
            "-m", memoryOption(target, omitting: omitting), "-smp", String(target.cpus),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-S",  // start paused: the host attaches QMP and the agent socket before the guest runs
            "-kernel", boot.kernel, "-initrd", boot.initrd,
            "-append", ([boot.kernelCommandLine] + machine.kernelParameters(machine: target.machine, accelerator: accelerator)
                        + target.kernelAppend).joined(separator: " "),
            "-chardev", "file,id=serial0,path=\(paths.serialLog)", "-serial", "chardev:serial0",
            "-qmp", "unix:\(paths.qmpSocket),server=on,wait=off",
        ]
        var expected: [Int] = []
        if let vsock {
            args += vsockArguments(vsock, memoryMiB: target.memoryMiB, paths: paths, machine: machine)
            expected.append(19)  // DeviceSpec.vsock
        }
        // The agent channel: a virtio-serial controller with one named port.
        args += [
            "-device", "\(machine.model("virtio-serial")),id=vser0",
            "-chardev", "socket,id=agent0,path=\(paths.agentSocket),server=on,wait=off",
            "-device", "virtserialport,bus=vser0.0,chardev=agent0,name=\(agentPortName)",
        ]
        expected.append(3)
        for (index, device) in target.devices.enumerated() where !omitting.contains(device.kind) {
            let id = "\(device.kind)\(index)"
            switch device {
            case .block(let sizeMiB, let discard, let readOnly, _, _):
                guard sizeMiB >= 1 else { throw .invalidTarget("block size_mib must be at least 1") }
                args += ["-blockdev", "driver=file,filename=\(diskPath(index, paths)),node-name=\(id)"
                            + (readOnly ? ",read-only=on" : ""),
                         "-device", "\(machine.model("virtio-blk")),drive=\(id),id=dev-\(id)" + (discard ? "" : ",discard=off")]
            case .net:
                args += ["-netdev", "user,id=\(id)", "-device", "\(machine.model("virtio-net")),netdev=\(id),id=dev-\(id)"]
            case .entropy:
                args += ["-object", "rng-random,id=\(id),filename=/dev/urandom",
                         "-device", "\(machine.model("virtio-rng")),rng=\(id),id=dev-\(id)"]
            case .console:
                // A console port rides on the agent's virtio-serial controller (one virtio device),
                // with a named data port whose host end is a socket (the console.transfer probe).
                args += ["-chardev", "file,id=\(id),path=\(paths.workspace)/\(id).log",
                         "-device", "virtconsole,bus=vser0.0,chardev=\(id)",
                         "-chardev", "socket,id=\(id)data,path=\(consoleSocketPath(index, workspace: paths.workspace)),server=on,wait=off",
                         "-device", "virtserialport,bus=vser0.0,chardev=\(id)data,name=\(consolePortName(index))"]
                continue
            case .balloon:
                args += ["-device", "\(machine.model("virtio-balloon")),id=dev-\(id)"]
            case .scsi:
                args += ["-device", "\(machine.model("virtio-scsi")),id=dev-\(id)"]
            case .keyboard:
                args += ["-device", "\(machine.model("virtio-keyboard")),id=dev-\(id)"]
            case .tablet:
                args += ["-device", "\(machine.model("virtio-tablet")),id=dev-\(id)"]
            case .ninep:
                args += ["-fsdev", "local,id=fs\(id),path=\(sharePath(index, paths)),security_model=none",
                         "-device", "\(machine.model("virtio-9p")),fsdev=fs\(id),mount_tag=avps\(index),id=dev-\(id)"]
            case .crypto:
                args += ["-object", "cryptodev-backend-builtin,id=\(id)",
                         "-device", "\(machine.model("virtio-crypto")),cryptodev=\(id),id=dev-\(id)"]
            case .gpu:
                args += ["-device", "\(machine.model("virtio-gpu")),id=dev-\(id)"]
            case .iommu:
                // QEMU 7.2 plugs virtio-iommu into a machine only as a PCI device.
                guard machine.transport == .pci else { throw .invalidTarget("iommu is only available with transport pci") }
                args += ["-device", "virtio-iommu-pci,id=dev-\(id)"]
            case .sound:
                // No host audio: the `none` backend consumes playback and produces silence.
                args += ["-audiodev", "none,id=\(id)", "-device", "virtio-sound-pci,audiodev=\(id),id=dev-\(id)"]
            case .legacy(let base):
                guard machine.transport == .pci else {
                    throw .invalidTarget("modern: false is a PCI option; with virtio-mmio use transport mmio (Version 1, legacy)")
                }
                args += try legacyArguments(base, id: id, index: index, paths: paths, machine: machine)
            case .vsock:
                continue  // one vsock device per guest, added above with its provider
            case .pmem(let sizeMiB):
                // Guest-visible persistent memory lives outside RAM, in a hot-plug slot (`-m` above).
                args += ["-object", "memory-backend-file,id=\(id),share=on,mem-path=\(pmemPath(index, workspace: paths.workspace)),size=\(sizeMiB)M",
                         "-device", "virtio-pmem-pci,memdev=\(id),id=dev-\(id)"]
            case .watchdog:
                // Not virtio: the Intel 6300ESB watchdog QEMU emulates on PCI. The expiry action is
                // spelled out because the destructive test depends on it.
                args += ["-device", "i6300esb,id=dev-\(id)", "-watchdog-action", "reset"]
                continue
            case .emulatedCAN:
                // Not virtio: an SJA1000 controller on a CAN bus of its own (nothing else on it).
                args += ["-object", "can-bus,id=\(id)bus", "-device", "kvaser_pci,canbus=\(id)bus,id=dev-\(id)"]
                continue
            }
            if let virtioID = device.virtioDeviceID { expected.append(virtioID) }
        }
        let links = try linkArguments(target.membership, machine: machine)
        return (applyFaults(args + links.arguments, target: target, paths: paths), (expected + links.expectedDevices).sorted())
    }

    /// `-m` value: plain RAM, or with virtio-pmem devices the hot-plug room they are plugged into
    /// (one slot each, `maxmem` = RAM plus their sizes).
    static func memoryOption(_ target: TargetSpec, omitting: Set<String>) -> String {
        let pmem = target.devices.compactMap { device -> Int? in
            guard case .pmem(let sizeMiB) = device, !omitting.contains(device.kind) else { return nil }
            return sizeMiB
        }
        guard !pmem.isEmpty else { return String(target.memoryMiB) }
        return "\(target.memoryMiB),slots=\(pmem.count),maxmem=\(target.memoryMiB + pmem.reduce(0, +))M"
    }

    /// Backing file of the virtio-pmem device at `index` (created sparse by the adapter before start).
    public static func pmemPath(_ index: Int, workspace: String) -> String {
        "\(workspace)/pmem\(index).img"
    }

    /// Name of the data port added with the console device at `index`.
    public static func consolePortName(_ index: Int) -> String { "org.avps.console.\(index)" }

    /// Host end (QEMU listens) of that data port.
    public static func consoleSocketPath(_ index: Int, workspace: String) -> String { "\(workspace)/console\(index).sock" }

    /// Directory shared over 9p by the device at `index` (created by the adapter before start).
    public static func sharePath(_ index: Int, _ paths: Paths) -> String {
        "\(paths.workspace)/share\(index)"
    }

    /// A device forced onto its legacy interface: transitional PCI form, modern interface off.
    static func legacyArguments(_ base: DeviceSpec, id: String, index: Int, paths: Paths,
                                machine: QEMUMachine) throws(HypervisorError) -> [String] {
        let legacy = ",disable-modern=on,disable-legacy=off"
        switch base {
        case .block(let sizeMiB, let discard, let readOnly, _, _):
            guard sizeMiB >= 1 else { throw .invalidTarget("block size_mib must be at least 1") }
            return ["-blockdev", "driver=file,filename=\(diskPath(index, paths)),node-name=\(id)" + (readOnly ? ",read-only=on" : ""),
                    "-device", "\(machine.model("virtio-blk")),drive=\(id),id=dev-\(id)" + (discard ? "" : ",discard=off") + legacy]
        case .net:
            return ["-netdev", "user,id=\(id)", "-device", "\(machine.model("virtio-net")),netdev=\(id),id=dev-\(id)" + legacy]
        case .entropy:
            return ["-object", "rng-random,id=\(id),filename=/dev/urandom",
                    "-device", "\(machine.model("virtio-rng")),rng=\(id),id=dev-\(id)" + legacy]
        case .balloon:
            return ["-device", "\(machine.model("virtio-balloon")),id=dev-\(id)" + legacy]
        default:
            throw .invalidTarget("\(base.kind) has no legacy form (modern: false works for \(DeviceSpec.legacyCapableKinds.joined(separator: ", ")))")
        }
    }

    /// vhost-user needs guest RAM the backend can map: a shared memfd (without `share=on` QEMU
    /// boots anyway but the data plane is dead).
    private static func memoryBackendMachineOption(_ vsock: AgentChannelChoice) -> String {
        if case .userVsock = vsock { return ",memory-backend=mem" }
        return ""
    }

    private static func vsockArguments(_ vsock: AgentChannelChoice, memoryMiB: Int, paths: Paths,
                                       machine: QEMUMachine) -> [String] {
        switch vsock {
        case .kernelVsock(let cid):
            return ["-device", "\(machine.model("vhost-vsock")),guest-cid=\(cid),id=dev-vsock"]
        case .userVsock:
            return ["-object", "memory-backend-memfd,id=mem,size=\(memoryMiB)M,share=on",
                    "-chardev", "socket,id=vsock0,path=\(paths.vsockSocket)",
                    "-device", "\(machine.model("vhost-user-vsock")),chardev=vsock0,id=dev-vsock"]
        case .virtioSerial:
            return []
        }
    }

    /// Sparse files the adapter creates before QEMU starts: block disk images and pmem backings.
    public static func backingFiles(_ target: TargetSpec, _ paths: Paths) -> [(path: String, sizeMiB: Int)] {
        target.devices.enumerated().compactMap { index, device in
            pmemFile(index, device, workspace: paths.workspace) ?? device.blockSizeMiB.map { (diskPath(index, paths), $0) }
        }
    }

    private static func pmemFile(_ index: Int, _ device: DeviceSpec, workspace: String) -> (path: String, sizeMiB: Int)? {
        guard case .pmem(let sizeMiB) = device else { return nil }
        return (pmemPath(index, workspace: workspace), sizeMiB)
    }

    /// Backing file of the block device at `index` in the target's device list.
    public static func diskPath(_ index: Int, _ paths: Paths) -> String {
        "\(paths.workspace)/disk\(index).raw"
    }
}
