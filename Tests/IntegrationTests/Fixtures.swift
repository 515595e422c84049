import AVPSModel
import Foundation
import GuestImage
import HypervisorCore
import QEMUHypervisor
import LibvirtHypervisor
import SSHHypervisor
import ExternalHypervisor
import Reports
import Runner
import Synchronization

/// Shared, lazily built reference guests: every test boots the same cached kernel and initramfs
/// of its architecture.
actor ReferenceGuestFixture {
    static let shared = ReferenceGuestFixture()
    private var builds: [GuestArchitecture: Task<ReferenceGuest, any Error>] = [:]

    /// One build per architecture, shared by concurrent callers (apt and the caches are not
    /// meant to be driven twice at once).
    func guest(_ arch: GuestArchitecture = .x86_64) async throws -> ReferenceGuest {
        if let build = builds[arch] { return try await build.value }
        let request = GuestImageRequest(architecture: arch, agentSource: Paths.root.appendingPathComponent("Sources/avps-agent"))
        let build = Task { try await GuestImageBuilder().build(request) }
        builds[arch] = build
        return try await build.value
    }
}

enum Paths {
    /// The package root, found from this file's location.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// A fresh directory for one test's run or files. Tests that read files afterwards keep it
    /// until the test process exits; then every directory made here is removed, so a test that
    /// ignores its run directory still leaves nothing in /tmp.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-test-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        removeAtExit(url)
        return url
    }

    private static let made = Mutex<[String]>([])
    private static let cleanupRegistered = Mutex(false)

    private static func removeAtExit(_ url: URL) {
        made.withLock { $0.append(url.path) }
        let first = cleanupRegistered.withLock { registered in
            defer { registered = true }
            return !registered
        }
        if first {
            atexit {
                for path in Paths.made.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
            }
        }
    }
}

/// Runs one target under QEMU (TCG) against the default profile.
/// - Parameter hypervisor: the adapter for `adapter: qemu` targets (default: the real QEMU adapter).
func runTarget(_ target: TargetSpec, bootTimeout: Duration = .seconds(120), kernel: String? = nil,
               controlTimeout: Duration = .seconds(30), hypervisor: (any Hypervisor)? = nil,
               profiles: [String] = ["avps-2.0"]) async throws -> (TargetOutcome, URL) {
    let guest = try await ReferenceGuestFixture.shared.guest(target.arch)
    let loaded = try profiles.map { try LoadedProfile.load(Paths.root.appendingPathComponent("Profiles/\($0).yaml")) }
    let runDirectory = try Paths.temporaryDirectory(target.name)
    let boot = BootArtifacts(kernel: kernel ?? guest.kernel.path, initrd: guest.initrd.path,
                             kernelCommandLine: guest.baseCommandLine)
    let runner = TargetRunner(hypervisor: hypervisor ?? QEMUAdapter(cacheDirectory: nil), boot: boot,
                              timeouts: RunTimeouts(boot: bootTimeout, control: controlTimeout),
                              adapters: ["external": ExternalAdapter(), "libvirt": LibvirtAdapter(), "ssh": SSHAdapter()])
    let outcome = try await runner.run(target, profiles: loaded,
                                       artifactDirectory: runDirectory.appendingPathComponent(target.name),
                                       runDirectory: runDirectory)
    return (outcome, runDirectory)
}

/// Processes mentioning `needle` that are still there after `grace`: a process SIGKILLed at the
/// end of a run can take a moment to leave /proc on a CI host running dozens of guests.
func processesRemaining(_ needle: String, grace: Duration = .seconds(10)) async -> [Int32] {
    let deadline = ContinuousClock.now + grace
    while true {
        let found = processesMentioning(needle)
        if found.isEmpty || ContinuousClock.now >= deadline { return found }
        try? await Task.sleep(for: .milliseconds(200))
    }
}

/// Processes whose command line mentions `needle` (QEMU is started with `-name avps-<target>`).
func processesMentioning(_ needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let text = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return text.contains(needle) ? pid : nil
    }
}

/// The workspace directory QEMU was given (from the recorded `-qmp unix:PATH/qmp.sock,...`).
func workspace(of commandLine: [String]) -> String? {
    guard let index = commandLine.firstIndex(of: "-qmp"), index + 1 < commandLine.count else { return nil }
    let value = commandLine[index + 1]
    guard value.hasPrefix("unix:"), let end = value.range(of: "/qmp.sock") else { return nil }
    return String(value[value.index(value.startIndex, offsetBy: 5)..<end.lowerBound])
}

/// The results.json of a finished run, read with the project's own decoder.
func finishedRun(_ runDirectory: URL) throws -> RunResult {
    try ResultsJSON.decode(Data(contentsOf: runDirectory.appendingPathComponent(ResultsJSON.fileName)))
}

/// Each requirement's verdict word (`PASS`, `FAIL`, ...) in one target's results.
func verdictWords(_ target: TargetResult?) -> [String: String] {
    Dictionary(uniqueKeysWithValues: (target?.results ?? []).map { ($0.key, $0.verdict.rawValue) })
}

/// The QEMU adapter with its planned command line changed by `rewrite`: negative controls that
/// break a device with QEMU's own means while everything else stays the adapter's.
struct RewrittenQEMU: Hypervisor {
    let inner = QEMUAdapter(cacheDirectory: nil)
    let rewrite: @Sendable (inout PreparedLaunch) throws(HypervisorError) -> Void
    var name: String { inner.name }

    func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        var launch = try await inner.prepare(target, boot: boot, artifactDirectory: artifactDirectory)
        do throws(HypervisorError) {
            try rewrite(&launch)
        } catch {
            inner.discard(launch)
            throw error
        }
        return launch
    }

    func withRunningGuest<T: Sendable>(_ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
                                       _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        try await inner.withRunningGuest(launch, timeouts: timeouts, stages: stages, body)
    }

    func discard(_ launch: PreparedLaunch) { inner.discard(launch) }
    func version() async -> String? { await inner.version() }
}
