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

/// The QEMU processes of one session: the one the adapter started, then each one a power cut
/// started on the same disk files (`QEMURestart`). Shutdown and error reports go to the current one;
/// the session ends only once every restarted process has been reaped.
final class QEMULives: Sendable {
    struct Life: Sendable {
        var pid: Int32
        var qmp: QMPClient?
        var agent: (any ByteStream)?
        /// Killed by a power cut (its exit is no failure to report).
        var cut = false
    }

    private struct State {
        var current: Life
        var watchers: [Task<Void, Never>] = []
        var holders: [Task<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(pid: Int32) { state = Mutex(State(current: Life(pid: pid))) }

    var current: Life { state.withLock { $0.current } }

    func attached(qmp: QMPClient) { state.withLock { $0.current.qmp = qmp } }
    func attached(agent: any ByteStream) { state.withLock { $0.current.agent = agent } }
    func markCut() { state.withLock { $0.current.cut = true } }

    func restarted(pid: Int32, holder: Task<Void, Never>) {
        state.withLock {
            $0.current = Life(pid: pid)
            $0.holders.append(holder)
        }
    }

    /// A supervisor watching the current process (cancelled when it is cut or the session ends).
    func watch(_ watcher: Task<Void, Never>) { state.withLock { $0.watchers.append(watcher) } }

    func stopWatching() {
        let watchers = state.withLock { state in
            defer { state.watchers = [] }
            return state.watchers
        }
        for watcher in watchers { watcher.cancel() }
    }

    /// After the current process was shut down: waits until every restarted one has been reaped,
    /// so nothing outlives the launch's workspace.
    func end() async {
        stopWatching()
        for holder in state.withLock({ $0.holders }) { await holder.value }
    }
}

/// Starts the launch's QEMU again after a power cut: the same command line (so the same disk
/// files), except that the serial log is appended to rather than truncated, so it keeps both boots.
enum QEMURestart {
    /// Spawns the process paused (`-S`, as the first one), announces its group to the orphan guard
    /// and returns its pid. The returned task holds the process until it exits (the session shuts
    /// it down), then lets the process library reap it.
    static func start(_ launch: PreparedLaunch, orphanGuard: OrphanGuard.Guard) async throws -> (pid: Int32, holder: Task<Void, Never>) {
        let commandLine = launch.commandLine.map { $0.hasPrefix("file,id=serial0,") ? $0 + ",append=on" : $0 }
        let stderrFD: FileDescriptor
        do {
            stderrFD = try FileDescriptor.open(FilePath(launch.stderrLog.path), .writeOnly, options: [.create, .append, .closeOnExec],
                                               permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw HypervisorError.workspace("cannot open \(launch.stderrLog.path): \(error)")
        }
        let (started, announce) = AsyncThrowingStream<Int32, any Error>.makeStream()
        let holder = Task {
            var options = PlatformOptions()
            options.processGroupID = 0  // its own group, as the first QEMU without our vsock backend
            options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(3))]
            do {
                _ = try await Subprocess.run(
                    .path(FilePath(commandLine[0])), arguments: Arguments(Array(commandLine.dropFirst())), platformOptions: options,
                    input: .none, output: .discarded, error: .fileDescriptor(stderrFD, closeAfterSpawningProcess: true)
                ) { execution in
                    let pid = execution.processIdentifier.value
                    orphanGuard.announce(processGroup: pid)
                    announce.yield(pid)
                    announce.finish()
                    while !ProcessState.hasExited(pid) { try? await Task.sleep(for: .milliseconds(100)) }
                }
            } catch {
                announce.finish(throwing: HypervisorError.launchFailed("\(commandLine[0]) after the power cut: \(error)"))
            }
        }
        var pids = started.makeAsyncIterator()
        guard let pid = try await pids.next() else {
            throw HypervisorError.launchFailed("\(commandLine[0]) did not start again after the power cut")
        }
        return (pid, holder)
    }
}
