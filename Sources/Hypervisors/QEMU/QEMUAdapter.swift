import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Boots targets under `qemu-system-x86_64` directly, or `qemu-system-aarch64` (`virt`, TCG) for
/// `arch: aarch64` targets.
///
/// Lifecycle, each step undone on failure: workspace → disks → process (paused, own process group)
/// → QMP → agent socket → `cont` → caller's body → shutdown (guest poweroff, QMP `quit`, SIGTERM,
/// SIGKILL) → workspace removed.
public struct QEMUAdapter: Hypervisor {
    public let name = "qemu"
    public let binary: String?
    /// `qemu-system-aarch64` for aarch64 targets.
    public let aarch64Binary: String?
    public let cacheDirectory: URL?
    /// Builds besides the system's (a target picks one with `qemu: {from: …}`).
    public let installations: [PackageOrigin: QEMUInstallation]
    /// Why a build a target may ask for could not be provided (e.g. the backports download failed).
    public let missingInstallations: [PackageOrigin: String]

    /// - Parameter binary: explicit QEMU path; default `$AVPS_QEMU` or `qemu-system-x86_64` on PATH
    ///   (aarch64: `$AVPS_QEMU_AARCH64` or `qemu-system-aarch64`).
    public init(binary: String? = nil, cacheDirectory: URL?, installations: [QEMUInstallation] = [],
                missingInstallations: [PackageOrigin: String] = [:]) {
        let environment = ProcessInfo.processInfo.environment
        self.binary = ExecutableLookup.find("qemu-system-x86_64", override: binary ?? environment["AVPS_QEMU"])
        self.aarch64Binary = ExecutableLookup.find("qemu-system-aarch64", override: environment["AVPS_QEMU_AARCH64"])
        self.cacheDirectory = cacheDirectory
        self.installations = Dictionary(installations.map { ($0.origin, $0) }) { _, last in last }
        self.missingInstallations = missingInstallations
    }

    /// The build a target runs on (aarch64: the system's `qemu-system-aarch64`; the suite loader
    /// allows backports builds for x86_64 only).
    func installation(for target: TargetSpec) throws(HypervisorError) -> QEMUInstallation {
        if target.arch == .aarch64 {
            guard let aarch64Binary else { throw .binaryNotFound("qemu-system-aarch64") }
            return QEMUInstallation(origin: .system, binary: aarch64Binary)
        }
        let origin = target.qemuFrom ?? .system
        if let installation = installations[origin] { return installation }
        guard origin == .system else {
            throw .binaryNotFound("QEMU from \(origin.rawValue): \(missingInstallations[origin] ?? "not fetched for this run")")
        }
        guard let binary else { throw .binaryNotFound("qemu-system-x86_64") }
        return QEMUInstallation(origin: .system, binary: binary)
    }

    public func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        guard target.adapter == name else { throw .unsupported("adapter \(target.adapter) (this is \(name))") }
        let installation = try installation(for: target)
        let version = await Self.version(of: installation)
        let withheld = await QEMUDeviceModels.unavailable(for: target, in: installation, version: version)
        let accelerator: String
        if let foreign = try QEMUMachine(target).foreignAccelerator(target.accelerator) {
            accelerator = foreign
        } else {
            // KVM usability is the host's; any build answers it (no modules or firmware involved).
            accelerator = try await hostAccelerator(target, binary: installation.binary, boot: boot)
        }
        let workspace = try Workspace.create()
        var paths = QEMUCommandLine.Paths(
            qmpSocket: workspace.appendingPathComponent("qmp.sock").path,
            agentSocket: workspace.appendingPathComponent("agent.sock").path,
            serialLog: artifactDirectory.appendingPathComponent("serial.log").path,
            workspace: workspace.path)
        paths.vsockSocket = workspace.appendingPathComponent("vhost-vsock.sock").path
        var vsockUDS = workspace.appendingPathComponent("vsock.sock").path
        if let shared = SharedVsockBackend.member(of: target) {  // a system's vsock link: one backend for its VMs
            paths.vsockSocket = shared.socket
            vsockUDS = shared.uds
        }
        var vsock: AgentChannelChoice?
        do {
            let (channel, provision) = try VsockPlanning.plan(target)
            vsock = provision
            let (arguments, expected) = try QEMUCommandLine.arguments(
                for: target, accelerator: accelerator, boot: boot, paths: paths, vsock: provision,
                omitting: Set(withheld.keys))
            var launch = PreparedLaunch(
                target: target, accelerator: accelerator,
                commandLine: installation.launcher + installation.dataArguments + arguments,
                expectedVirtioDevices: expected, workspace: workspace, agentSocket: paths.agentSocket,
                qmpSocket: paths.qmpSocket, serialLog: URL(fileURLWithPath: paths.serialLog),
                stderrLog: artifactDirectory.appendingPathComponent("qemu-stderr.log"),
                agentChannel: channel, vsock: provision, vsockSocket: paths.vsockSocket, vsockUDS: vsockUDS)
            launch.hypervisorVersion = version
            launch.withhold(withheld)
            launch.hostDataEnds = .workspaceFiles(
                target, omitting: Set(withheld.keys), disk: { QEMUCommandLine.diskPath($0, paths) },
                share: { QEMUCommandLine.sharePath($0, paths) }, pmem: { QEMUCommandLine.pmemPath($0, workspace: paths.workspace) })
            return launch
        } catch {
            if case .kernelVsock(let cid) = vsock { KernelCIDAllocator.release(cid) }
            Workspace.remove(workspace)
            throw error
        }
    }

    /// `auto` tries KVM briefly and falls back to TCG (the host's own architecture only).
    private func hostAccelerator(_ target: TargetSpec, binary: String, boot: BootArtifacts) async throws(HypervisorError) -> String {
        switch target.accelerator {
        case "auto":
            return await AcceleratorProbe(qemu: binary, kernel: boot.kernel, cacheDirectory: cacheDirectory)
                .resolve().accelerator
        case "kvm", "tcg":
            return target.accelerator
        default:
            throw .invalidTarget("accelerator must be auto, kvm or tcg (got \(target.accelerator))")
        }
    }

    public func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        defer { discard(launch) }
        defer { if case .kernelVsock(let cid) = launch.vsock { KernelCIDAllocator.release(cid) } }
        // The guard exists before anything is spawned; every process group is announced to it.
        return try await OrphanGuard.protect(workspace: launch.workspace) { orphanGuard in
            try createDisks(launch)
            // Start order: our vsock backend must listen before QEMU connects, or QEMU exits at once.
            return try await VsockBackendProcess.withBackend(for: launch, stages: stages, orphanGuard: orphanGuard) { backend in
                try await runQEMU(launch, timeouts: timeouts, stages: stages, backend: backend,
                                  orphanGuard: orphanGuard, body)
            }
        }
    }

    private func runQEMU<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog, backend: VsockBackendHandle?,
        orphanGuard: OrphanGuard.Guard, _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        let executable = launch.commandLine[0]
        let arguments = Array(launch.commandLine.dropFirst())
        let stderrFD = try openLog(launch.stderrLog)
        var options = PlatformOptions()
        // Own group (a terminal's Ctrl-C reaches avps, which shuts QEMU down in order); with our
        // vsock backend, QEMU joins the backend's group so the orphan guard kills both (not a
        // backend shared by a system's VMs: one VM's teardown would kill its siblings).
        let backendGroup = backend.flatMap { $0.shared ? nil : $0.processID }
        options.processGroupID = backendGroup ?? 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(3))]
        let session = GuestSession(launch: launch, timeouts: timeouts, stages: stages, backend: backend,
                                   orphanGuard: orphanGuard)
        do {
            let outcome = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments), platformOptions: options,
                input: .none, output: .discarded,
                error: .fileDescriptor(stderrFD, closeAfterSpawningProcess: true)
            ) { execution in
                let pid = execution.processIdentifier.value
                orphanGuard.announce(processGroup: backendGroup ?? pid)
                return try await session.run(pid: pid, body)
            }
            return outcome.closureResult
        } catch let error as SubprocessError {
            throw HypervisorError.launchFailed("\(executable): \(error)")
        }
    }

    public func version() async -> String? {
        guard let binary else { return nil }
        return await Self.version(of: QEMUInstallation(origin: .system, binary: binary))
    }

    /// First line of `--version`, e.g. `QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)`.
    /// Asked once per installation and process: starting QEMU only to print it costs ~0.1 s (it
    /// loads 50 shared libraries), and a run asked at every target start and again for its report.
    static func version(of installation: QEMUInstallation) async -> String? {
        let launcher = installation.launcher
        if let known = knownVersions.withLock({ $0[launcher] }) { return known }
        let result = try? await Subprocess.run(.path(FilePath(launcher[0])), arguments: Arguments(Array(launcher.dropFirst()) + ["--version"]),
                                               output: .string(limit: 4096))
        let version = result?.standardOutput.split(whereSeparator: \.isNewline).first.map(String.init)
        if let version { knownVersions.withLock { $0[launcher] = version } }
        return version
    }

    private static let knownVersions = Mutex<[[String]: String]>([:])

    private func createDisks(_ launch: PreparedLaunch) throws(HypervisorError) {
        let paths = QEMUCommandLine.Paths(qmpSocket: "", agentSocket: "", serialLog: "", workspace: launch.workspace.path)
        for (index, device) in launch.target.devices.enumerated() {
            if case .ninep = device {  // the 9p share must exist before QEMU opens it
                try? FileManager.default.createDirectory(
                    atPath: QEMUCommandLine.hostPath(QEMUCommandLine.sharePath(index, paths), target: launch.target, paths: paths),
                    withIntermediateDirectories: true)
            }
        }
        for (original, sizeMiB) in QEMUCommandLine.backingFiles(launch.target, paths) {
            let path = QEMUCommandLine.hostPath(original, target: launch.target, paths: paths)
            if path != original {
                // A negative control's disk shared by every VM: created once, never replaced (a new
                // file would leave the VMs that opened the old one apart).
                let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw .workspace("cannot create shared backing file \(path)") }
                defer { close(fd) }
                var status = stat()
                if fstat(fd, &status) == 0, status.st_size == 0 { _ = ftruncate(fd, off_t(sizeMiB) << 20) }
                continue
            }
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw .workspace("cannot create backing file \(path)")
            }
            defer { try? handle.close() }
            do {
                try handle.truncate(atOffset: UInt64(sizeMiB) << 20)  // sparse
            } catch {
                throw .workspace("cannot size backing file \(path): \(error)")
            }
        }
    }

    private func openLog(_ url: URL) throws(HypervisorError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(url.path), .writeOnly,
                                           options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw .workspace("cannot open \(url.path): \(error)")
        }
    }
}
