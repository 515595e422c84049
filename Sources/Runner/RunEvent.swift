import AVPSModel
import HypervisorCore

/// What a suite run reports while it works, for progress displays: a live per-target stage view
/// on a terminal, one plain line per event in CI logs. Never part of the results.
public enum RunEvent: Sendable, Equatable {
    /// A target's attempt begins (attempt 1 of 1 without retries).
    case targetStarted(target: String, attempt: Int, attempts: Int, devices: [String])
    /// A readiness stage of the target began or ended.
    case stage(target: String, StageEvent)
    /// The target's verdicts for one profile are final; `summary` is one line ("9/11 passed").
    case targetFinished(target: String, profile: String, summary: String, infra: Bool)
}
