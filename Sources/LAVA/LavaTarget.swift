import AVPSModel
import HypervisorCore
import QEMUHypervisor

/// One avps target as LAVA sees it: a `qemu` device (its dictionary's variables) and the images a
/// job deploys, derived from the exact launch `avps run` would start, so LAVA boots the same guest.
///
/// The qemu adapter's command line is split three ways:
/// - what LAVA's `qemu.jinja2` template owns is dropped or becomes a template variable (`-m` is
///   `memory`; the serial console is LAVA's, on `-nographic`; `-S` and `-display` go, LAVA never
///   resumes a paused guest; `-nodefaults` goes, it would take away the serial port `-nographic`
///   relies on; aarch64's `-machine` and `-cpu` are the template's `machine` and `cpu`);
/// - `-kernel`, `-initrd`, `-append` and every argument naming a backing file (disk, pmem) go into
///   the job's deploy `image_arg`s, with LAVA's `{image}` placeholder for the path;
/// - the rest becomes the device's `extra_options`, with the private workspace replaced by a fixed
///   per-device directory on the worker (`socketDirectory`), where avps attaches afterwards.
public struct LavaTarget: Sendable, Equatable {
    public struct Image: Sendable, Equatable {
        /// The key in the job's `images:` and the `{key}` placeholder in `imageArg`.
        public var key: String
        /// The file to deploy (a local path: the kernel, the initramfs, a new sparse disk).
        public var source: String
        public var imageArg: String
        /// Size of a scratch image the exporter creates (nil for kernel and initramfs).
        public var scratchSizeMiB: Int?
    }

    public var target: TargetSpec
    /// LAVA device name and `/run/avps-lava/<device>` directory name.
    public var device: String
    /// LAVA's `context: arch`: amd64 or arm64.
    public var lavaArch: String
    public var memory: String
    /// aarch64 only: the template's `machine` and `cpu` variables.
    public var machine: String?
    public var cpu: String?
    public var noKVM: Bool
    public var extraOptions: [String]
    public var images: [Image]
    /// Where the agent socket, QMP and console sockets live on the worker.
    public var socketDirectory: String
    /// Directories the guest's devices need before QEMU starts (9p shares).
    public var directories: [String]
    /// avps's vhost-user vsock backend, which the job starts on the worker before QEMU connects
    /// (nil: the guest has no vsock device).
    public var vsockBackend: VsockBackendSockets? = nil
    /// The agent is reached over vsock (the backend's hybrid socket), not the virtio-serial port.
    public var agentOverVsock = false

    /// Where `avps vsockd` listens on the worker: vhost-user for QEMU, hybrid vsock for avps.
    public struct VsockBackendSockets: Sendable, Equatable {
        public var socket: String
        public var uds: String
        public var cid: UInt32
        /// The backend's process id while the job runs, and its stderr.
        public var pidFile: String
        public var log: String
    }

    public var agentSocket: String { socketDirectory + "/agent.sock" }
    public var runDirectory: String { socketDirectory + "/run" }
}

/// Why a target cannot become a LAVA job (a usage error naming the target).
public struct LavaExportError: Error, Equatable, CustomStringConvertible {
    public var target: String
    public var reason: String
    public var description: String { "target \(target): \(reason)" }

    public init(target: String, reason: String) {
        self.target = target
        self.reason = reason
    }
}

extension LavaTarget {
    /// Flags of the qemu adapter's command line that take no value.
    static let flagsWithoutValue: Set<String> = ["-nodefaults", "-no-user-config", "-no-reboot", "-S", "-nographic", "-enable-kvm"]

    /// Builds the LAVA view of `launch`. `socketRoot` is the parent of every device's directory.
    public init(launch: PreparedLaunch, socketRoot: String = "/run/avps-lava") throws(LavaExportError) {
        let target = launch.target
        func refuse(_ reason: String) -> LavaExportError { LavaExportError(target: target.name, reason: reason) }
        guard target.adapter == "qemu" else {
            throw refuse("adapter \(target.adapter): LAVA export covers qemu targets (LAVA's qemu device type)")
        }
        if case .kernelVsock = launch.vsock {
            throw refuse("the launch uses the host kernel's vhost-vsock; a LAVA worker gets avps's own backend (AVPS_VSOCK=user)")
        }
        guard target.qemuFrom == nil || target.qemuFrom == .system, !launch.commandLine.isEmpty,
              launch.commandLine[0].hasPrefix("qemu-system-") || launch.commandLine[0].contains("/qemu-system-") else {
            throw refuse("LAVA runs the worker's own QEMU; a target with `qemu: {from: backports}` cannot be exported")
        }
        let device = "avps-" + target.name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.map(String.init).joined()
        let directory = socketRoot + "/" + device
        let workspace = launch.workspace.path
        let artifacts = launch.serialLog.deletingLastPathComponent().path
        let backing = QEMUCommandLine.backingFiles(target, QEMUCommandLine.Paths(
            qmpSocket: launch.qmpSocket, agentSocket: launch.agentSocket, serialLog: launch.serialLog.path,
            workspace: workspace))
        let agentOverVsock = launch.agentChannel.isVsock
        var split = try ArgumentSplit(arguments: Array(launch.commandLine.dropFirst()), target: target.name,
                                      aarch64: target.arch == .aarch64, backing: backing)
        split.rewrite(prefix: workspace, to: directory)
        split.rewrite(prefix: artifacts, to: directory)
        self.init(target: target, device: device, lavaArch: target.arch == .aarch64 ? "arm64" : "amd64",
                  memory: split.memory, machine: split.machine, cpu: split.cpu, noKVM: true,
                  extraOptions: split.extraOptions, images: split.images, socketDirectory: directory,
                  directories: target.devices.indices.filter { target.devices[$0].kind == "9p" }.map {
                      QEMUCommandLine.sharePath($0, QEMUCommandLine.Paths(qmpSocket: "", agentSocket: "", serialLog: "",
                                                                          workspace: directory))
                  })
        self.agentOverVsock = agentOverVsock
        if case .userVsock = launch.vsock {
            let onWorker = { (path: String) in path.replacingOccurrences(of: workspace, with: directory) }
            vsockBackend = VsockBackendSockets(socket: onWorker(launch.vsockSocket), uds: onWorker(launch.vsockUDS),
                                               cid: launch.agentChannel.guestCID,
                                               pidFile: directory + "/vsockd.pid", log: directory + "/vsockd.log")
        }
    }
}
