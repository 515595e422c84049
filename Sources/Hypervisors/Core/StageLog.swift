import AVPSModel
import Synchronization

/// A stage starting or ending, for live progress displays.
public enum StageEvent: Sendable, Equatable {
    case started(String)
    case finished(StageTiming)
}

/// Time-stamps the stages of bringing a target up, so a failure names the stage it happened in.
public final class StageLog: Sendable {
    private let origin = ContinuousClock.now
    private let entries = Mutex<[StageTiming]>([])
    private let observer: (@Sendable (StageEvent) -> Void)?

    /// - Parameter observer: told of every stage as it starts and ends (called on the stage's task).
    public init(observer: (@Sendable (StageEvent) -> Void)? = nil) {
        self.observer = observer
    }

    /// Runs `body` as the named stage and records its timing, successful or not.
    public func run<T>(_ stage: String, _ body: () async throws -> T) async throws -> T {
        observer?(.started(stage))
        let start = ContinuousClock.now
        do {
            let value = try await body()
            record(stage, start: start, ok: true)
            return value
        } catch {
            record(stage, start: start, ok: false)
            throw error
        }
    }

    public func record(_ stage: String, start: ContinuousClock.Instant, ok: Bool) {
        let timing = StageTiming(stage: stage, startedAt: seconds(origin, start),
                                 duration: seconds(start, ContinuousClock.now), ok: ok)
        entries.withLock { $0.append(timing) }
        observer?(.finished(timing))
    }

    /// The last stage that failed, if any.
    public var failedStage: String? { entries.withLock { $0.last { !$0.ok }?.stage } }

    public var timings: [StageTiming] { entries.withLock { $0 } }

    /// Seconds since this log was created.
    public var elapsed: Double { seconds(origin, ContinuousClock.now) }

    private func seconds(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> Double {
        let d = to - from
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
