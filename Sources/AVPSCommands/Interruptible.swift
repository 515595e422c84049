import Dispatch
import Foundation
import Runner
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT, SIGTERM and the run timeout into task cancellation, so a run interrupted from the
/// terminal, by CI, or by its own time limit still shuts its guests down in order and writes what it
/// has; the reason is recorded so results say "interrupted by SIGINT", not just "cancelled".
struct Interruptible {
    /// Whole-run limit; nil for none.
    var timeout: Duration?

    func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let task = Task { await body() }
        let timer = timeout.map { limit in
            Task {
                try await Task.sleep(for: limit)
                RunCancellation.record("run timeout of \(Int(limit.components.seconds)) s reached")
                Console.error("run timeout reached; shutting guests down")
                task.cancel()
            }
        }
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                RunCancellation.record("interrupted by \(name)")
                Console.error("\(name) received; shutting guests down")
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
}
