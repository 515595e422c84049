import Dispatch
import Foundation
import HypervisorCore
import Runner
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT, SIGTERM and the run timeout into task cancellation, so a run interrupted from the
/// terminal, by CI, or by its own time limit still shuts its guests down in order and writes what it
/// has; the reason is recorded so results say "interrupted by SIGINT", not just "cancelled".
///
/// Both are hard bounds too: a second SIGINT/SIGTERM, or a shutdown that outlasts
/// `cleanupGrace` after the run timeout (a hypervisor's `stop` that never returns), kills every
/// process the run started (`LaunchProcesses.killRun`) and exits with status 3 at once.
struct Interruptible {
    /// Whole-run limit; nil for none.
    var timeout: Duration?
    /// How long an orderly shutdown may take after the run timeout before the forced exit.
    var cleanupGrace: Duration = .seconds(15)

    func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        // Descendants that detach (setsid, double fork) re-parent to avps, not init: reapable.
        LaunchProcesses.becomeSubreaper()
        let task = Task { await body() }
        let grace = cleanupGrace
        let timer = timeout.map { limit in
            Task {
                try await Task.sleep(for: limit)
                RunCancellation.record("run timeout of \(Self.seconds(limit)) s reached")
                Console.error("run timeout reached; shutting guests down")
                task.cancel()
                try await Task.sleep(for: grace)
                Self.forceExit("shutdown took longer than \(Self.seconds(grace)) s after the run timeout")
            }
        }
        let received = Mutex(0)
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                let count = received.withLock { count in
                    count += 1
                    return count
                }
                if count > 1 { Self.forceExit("second \(name)") }
                RunCancellation.record("interrupted by \(name)")
                Console.error("\(name) received; shutting guests down (send it again to force an exit)")
                task.cancel()
            }
            source.resume()
            return source
        }
        let value = await task.value
        timer?.cancel()
        for source in sources { source.cancel() }
        return value
    }

    /// Kills every process this run started and exits with the infrastructure status.
    static func forceExit(_ why: String) -> Never {
        let killed = LaunchProcesses.killRun()
        Console.error("\(why): forced exit, \(killed) process(es) of the run killed; reports may be incomplete")
        exit(3)
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
