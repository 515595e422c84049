import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two guests for guest-to-guest tests: the adapter's own QEMU command lines (`QEMUAdapter.prepare`,
/// user vsock on a shared memfd), started here together with one vsock backend for both (CIDs 3
/// and 4) or one each; `tearDown` stops every process and removes the workspaces.
final class TwoGuests: @unchecked Sendable {
    let launches: [PreparedLaunch]
    let adapter = QEMUAdapter(cacheDirectory: nil)
    var processes: [Process] = []
    /// Processes still running 10 s after SIGTERM, killed. (A QEMU started by Foundation's `Process`
    /// from the test runner may not see SIGTERM at all, so tests power their guests off first.)
    private(set) var survivors: [String] = []
    /// Appended to each guest's QEMU command line (e.g. an ivshmem device).
    let extraArguments: [[String]]
    let backendLog: URL

    init(_ name: String, extraArguments: [[String]] = [[], []]) async throws {
        let guest = try await ReferenceGuestFixture.shared.guest()
        let boot = BootArtifacts(kernel: guest.kernel.path, initrd: guest.initrd.path, kernelCommandLine: guest.baseCommandLine)
        let directory = try Paths.temporaryDirectory(name)
        var launches: [PreparedLaunch] = []
        for vm in ["a", "b"] {
            let target = TargetSpec(name: "\(name)-\(vm)", accelerator: "tcg", devices: [.entropy], agentChannel: .vsock)
            let artifacts = directory.appendingPathComponent(vm)
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            launches.append(try await adapter.prepare(target, boot: boot, artifactDirectory: artifacts))
        }
        self.launches = launches
        self.extraArguments = extraArguments
        backendLog = directory.appendingPathComponent("vsockd.log")
    }

    /// Starts the backend(s) and both QEMUs; `tearDown` undoes it whatever happened.
    func boot(sharedBackend: Bool) async throws {
        guard case .userVsock(let executable) = launches[0].vsock else {
            throw HypervisorError.unsupported("this host gives the guests kernel vsock; the test needs our backend")
        }
        // One backend for both (CIDs 3 and 4), or one each (both CID 3, as single-VM targets have).
        let specs = launches.enumerated().map { index, launch in
            "cid=\(sharedBackend ? 3 + index : 3),socket=\(launch.vsockSocket),uds=\(launch.vsockUDS)"
        }
        let groups = sharedBackend ? [specs] : specs.map { [$0] }
        for group in groups {
            try start(executable, ["vsockd", "--verbose"] + group.flatMap { ["--vm", $0] }, log: backendLog)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !launches.allSatisfy({ FileManager.default.fileExists(atPath: $0.vsockSocket) }) {
            try #require(ContinuousClock.now < deadline, "the backend never listened")
            try await Task.sleep(for: .milliseconds(20))
        }
        for (launch, extra) in zip(launches, extraArguments) {
            // -S would wait for QMP's `cont`; nothing attaches QMP here.
            let arguments = launch.commandLine.dropFirst().filter { $0 != "-S" } + extra
            try start(launch.commandLine[0], arguments, log: launch.stderrLog)
        }
    }

    private func start(_ executable: String, _ arguments: [String], log: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
    }

    func agent(_ index: Int) async throws -> AgentClient {
        let client = AgentClient(stream: HybridVsockStream(path: launches[index].vsockUDS, port: 1024))
        _ = try await client.waitForReady(deadline: .now + .seconds(180))
        return client
    }

    /// QEMUs first, then the backend(s) (a QEMU asks its backend for the ring state as it
    /// stops, so a backend gone first leaves it waiting); workspaces removed.
    func tearDown() async {
        let qemus = processes.filter { $0.executableURL?.lastPathComponent.hasPrefix("qemu") == true }
        for group in [qemus, processes.filter { !qemus.contains($0) }] {
            for process in group where process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let deadline = ContinuousClock.now + .seconds(10)
            while group.contains(where: \.isRunning) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let stubborn = processes.filter(\.isRunning)
        for process in stubborn { kill(process.processIdentifier, SIGKILL) }
        _ = try? await offPool { for process in stubborn { process.waitUntilExit() } }
        survivors = stubborn.map { "\($0.executableURL?.lastPathComponent ?? "?") \($0.arguments?.prefix(3).joined(separator: " ") ?? "")" }
        for launch in launches { adapter.discard(launch) }
    }
}

