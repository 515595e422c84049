import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics of the backend: one line each to stderr when verbose, and a bounded in-memory
/// tail for tests. Never on a hot path (one line per malformed message or chain).
final class BackendLog: Sendable {
    private let verbose: Bool
    private let lines = Mutex<[String]>([])

    init(verbose: Bool) { self.verbose = verbose }

    func note(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > 200 { lines.removeFirst(lines.count - 200) }
        }
        if verbose {
            let text = Array("avps-vsockd: \(line)\n".utf8)
            _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    var recent: [String] { lines.withLock { $0 } }
}
