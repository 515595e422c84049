import Synchronization

/// Why a run was cancelled, so a cancellation is reported as what caused it (a signal, the run
/// timeout) instead of a bare "cancelled" that reads like a timeout or a bug.
public enum RunCancellation {
    private static let stored = Mutex<String?>(nil)

    /// The first reason wins: a SIGINT after the run timeout does not rewrite history.
    public static func record(_ reason: String) {
        stored.withLock { current in
            if current == nil { current = reason }
        }
    }

    public static var reason: String? { stored.withLock { $0 } }
}
