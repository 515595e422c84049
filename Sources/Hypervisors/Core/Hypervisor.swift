import AVPSModel
import AgentProtocol
import Foundation

/// What to boot: kernel, initramfs and kernel command line.
public struct BootArtifacts: Sendable, Equatable {
    public var kernel: String
    public var initrd: String
    public var kernelCommandLine: String
    /// Where the kernel came from (`linux-image-6.12.… 6.12.…~bpo12+1`), recorded in the results.
    public var kernelSource: String?

    public init(kernel: String, initrd: String, kernelCommandLine: String, kernelSource: String? = nil) {
        self.kernel = kernel
        self.initrd = initrd
        self.kernelCommandLine = kernelCommandLine
        self.kernelSource = kernelSource
    }
}

/// A launch that has been planned but not started: the exact command, and what the guest
/// should see. Kept apart from starting so `--plan` and failed starts still report the command.
public struct PreparedLaunch: Sendable {
    public var target: TargetSpec
    public var accelerator: String
    public var commandLine: [String]
    /// Virtio device ids the guest should enumerate (requested devices plus the agent channel).
    public var expectedVirtioDevices: [Int]
    /// Private directory for sockets and disk images; removed when the launch ends.
    public var workspace: URL
    public var agentSocket: String
    public var qmpSocket: String
    /// Where the guest's serial console is written (an artifact of the run).
    public var serialLog: URL
    public var stderrLog: URL
    /// How the host reaches the agent.
    public var agentChannel: AgentChannelChoice = .virtioSerial(reason: "default")
    /// How the guest's vsock device is provided; nil when it has none.
    public var vsock: AgentChannelChoice?
    /// Our vsock backend's sockets: vhost-user (QEMU's side) and hybrid vsock (the host's side).
    public var vsockSocket: String = ""
    public var vsockUDS: String = ""
    /// The exact version of the hypervisor build this launch uses (`QEMU emulator version …`).
    public var hypervisorVersion: String?
    /// Requested device types (virtio ids) this hypervisor cannot offer, with the reason; the
    /// guest boots without them and requirements about them do not apply.
    public var withheldDevices: [Int: String] = [:]
    /// The same for requested devices that are not virtio, by kind (`watchdog`).
    public var withheldPlatformDevices: [String: String] = [:]
    /// Host-side Unix sockets of console data ports, by port name, for adapters that declare them
    /// (`external.console_ports`); the qemu adapter's own ports are derived from the target.
    public var consoleSockets: [String: String] = [:]
    /// Files on this host behind the guest's disks, shares and pmem, for host-side checks of
    /// what the probes wrote; empty when the host holds none.
    public var hostDataEnds = HostDataEnds()
    /// An adapter's own plan for the live part of the launch (the `ssh` adapter: what runs on the
    /// other host); opaque to everything but that adapter, nil when the adapter needs none.
    public var adapterPlan: (any Sendable)?

    package init(target: TargetSpec, accelerator: String, commandLine: [String], expectedVirtioDevices: [Int],
                 workspace: URL, agentSocket: String, qmpSocket: String, serialLog: URL, stderrLog: URL,
                 agentChannel: AgentChannelChoice = .virtioSerial(reason: "default"), vsock: AgentChannelChoice? = nil,
                 vsockSocket: String = "", vsockUDS: String = "", hypervisorVersion: String? = nil,
                 withheldDevices: [Int: String] = [:], withheldPlatformDevices: [String: String] = [:],
                 adapterPlan: (any Sendable)? = nil) {
        self.target = target
        self.accelerator = accelerator
        self.commandLine = commandLine
        self.expectedVirtioDevices = expectedVirtioDevices
        self.workspace = workspace
        self.agentSocket = agentSocket
        self.qmpSocket = qmpSocket
        self.serialLog = serialLog
        self.stderrLog = stderrLog
        self.agentChannel = agentChannel
        self.vsock = vsock
        self.vsockSocket = vsockSocket
        self.vsockUDS = vsockUDS
        self.hypervisorVersion = hypervisorVersion
        self.withheldDevices = withheldDevices
        self.withheldPlatformDevices = withheldPlatformDevices
        self.adapterPlan = adapterPlan
    }
}

/// A guest that is up and reachable, handed to the caller for the duration of a closure.
public struct RunningGuest: Sendable {
    public var launch: PreparedLaunch
    /// Byte stream to the in-guest agent.
    public var agent: any ByteStream
    public var processID: Int32
    /// The hypervisor's control connection while the guest runs (QEMU: QMP), for host-side observations.
    public var qmp: QMPClient? = nil
    /// The platform's own reset of the guest (the external contract's `reset`, run where the
    /// hypervisor runs); nil when the target declares none. It returns once the command did; the
    /// guest then reboots, and the caller reconnects to its agent.
    public var reset: (@Sendable () async throws -> Void)? = nil
    /// Cuts the guest's power and switches it on again: the hypervisor process is killed at once
    /// (SIGKILL: no guest shutdown, nothing flushed on its way out) and started again on the same
    /// disk files. Returns the guest of the new process, whose agent has yet to announce itself;
    /// the old `agent` and `qmp` are dead. nil when the adapter cannot (the reason is
    /// `powerCutUnavailable`).
    public var powerCut: (@Sendable () async throws -> RunningGuest)? = nil
    /// Why `powerCut` is nil, for the report.
    public var powerCutUnavailable: String? = nil
    /// Host-side facts the adapter measured bringing the guest up (remote: what the upload sent).
    public var observations: [String: FactValue] = [:]

    package init(launch: PreparedLaunch, agent: any ByteStream, processID: Int32, qmp: QMPClient? = nil) {
        self.launch = launch
        self.agent = agent
        self.processID = processID
        self.qmp = qmp
    }
}

/// Timeouts that bound each part of a launch.
public struct LaunchTimeouts: Sendable {
    /// From process start until the control socket answers (generous: a loaded CI host running
    /// several TCG guests can take many seconds to bring QEMU and its vhost-user backend up).
    public var control: Duration
    /// How long to wait for the guest to power itself off before forcing it.
    public var shutdown: Duration

    public init(control: Duration = .seconds(30), shutdown: Duration = .seconds(10)) {
        self.control = control
        self.shutdown = shutdown
    }
}

/// A hypervisor adapter. Adapters boot and tear down guests; they never score.
///
/// `withRunningGuest` owns the whole lifetime: whatever `body` does (return, throw, or get
/// cancelled), the hypervisor process, its sockets and its workspace are gone when it returns.
public protocol Hypervisor: Sendable {
    var name: String { get }

    /// Plans a launch without starting anything.
    func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch

    /// Starts the prepared guest, runs `body` while it is up, then shuts it down.
    func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T

    /// Removes what `prepare` created, for launches that never ran.
    func discard(_ launch: PreparedLaunch)

    /// The hypervisor's own version string, recorded in results; nil when it cannot tell.
    func version() async -> String?
}

extension Hypervisor {
    public func discard(_ launch: PreparedLaunch) {
        Workspace.remove(launch.workspace)
    }
}

extension PreparedLaunch {
    /// Records requested device kinds the hypervisor cannot offer (kind -> reason), virtio ones by
    /// device id and the others by kind.
    package mutating func withhold(_ reasons: [String: String]) {
        for device in target.devices {
            guard let reason = reasons[device.kind] else { continue }
            if let id = device.virtioDeviceID {
                withheldDevices[id] = reason
            } else {
                withheldPlatformDevices[device.kind] = reason
            }
        }
    }

    /// The last lines of the hypervisor's stderr (its last 4 KiB, each line at most 300
    /// characters, repeated lines once), joined on one line, for INFRA messages. Never the whole
    /// file: a hypervisor wrote 64 MiB of stderr in one line.
    package var stderrTail: String {
        FileTail.lines(stderrLog, maxBytes: 4096, lines: 5, lineCharacters: 300).joined(separator: " | ")
    }
}
