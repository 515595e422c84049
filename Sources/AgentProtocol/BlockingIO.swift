import Dispatch
import Synchronization

/// Runs blocking system calls (poll, connect, read) on a Dispatch queue instead of Swift's
/// cooperative pool, and turns task cancellation into a flag the blocking loop polls.
///
/// The blocking loop must poll in short slices (see `BlockingIO.slice`) and return `.cancelled`
/// when the flag is set, so a SIGINT unwinds within about 100 ms.
public enum BlockingIO {
    /// Longest single blocking wait; bounds how long a cancellation can go unnoticed.
    public static let slice: Duration = .milliseconds(100)

    public final class CancelFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        public init() {}
        public var isSet: Bool { flag.load(ordering: .acquiring) }
        func set() { flag.store(true, ordering: .releasing) }
    }

    /// Runs `body` on `queue`; `body` receives a flag that becomes true when the caller is cancelled.
    public static func run<T: Sendable>(
        on queue: DispatchQueue,
        _ body: @escaping @Sendable (CancelFlag) -> Result<T, AgentError>
    ) async throws(AgentError) -> T {
        let flag = CancelFlag()
        let result: Result<T, AgentError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: flag.isSet ? .failure(.cancelled) : body(flag))
                }
            }
        } onCancel: {
            flag.set()
        }
        return try result.get()
    }

    /// Milliseconds left until `deadline`, capped at one slice; 0 when the deadline has passed.
    public static func pollTimeout(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        if left <= .zero { return 0 }
        let capped = min(left, slice)
        let ms = capped.components.seconds * 1000 + capped.components.attoseconds / 1_000_000_000_000_000
        return Int32(max(1, ms))
    }
}

extension Duration {
    /// Seconds as a Double, for messages and timings.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
