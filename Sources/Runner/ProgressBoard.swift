import AVPSModel
import HypervisorCore

/// The state behind `avps run`'s progress output, fed by `RunEvent`s: one row per target with
/// its current stage, and the text for both output styles — a redrawn frame on a terminal and one
/// plain line per event in CI logs. Pure (times are passed in), so both styles are unit-tested.
public struct ProgressBoard: Sendable {
    struct Row: Sendable {
        var target: String
        var attempt = 1
        var attempts = 1
        var startedAt: Double
        /// The stage in progress and when it began.
        var stage: (name: String, since: Double)?
        var stagesDone = 0
        var failedStage: String?
        /// Set when the target's verdicts are final.
        var summary: String?
        var finishedAt: Double?
        var infra = false
    }

    private(set) var rows: [Row] = []

    public init() {}

    /// Records an event that happened `now` seconds after the display's origin.
    public mutating func apply(_ event: RunEvent, now: Double) {
        switch event {
        case .targetStarted(let target, let attempt, let attempts, _):
            let row = Row(target: target, attempt: attempt, attempts: attempts, startedAt: now)
            if let index = rows.firstIndex(where: { $0.target == target }) { rows[index] = row } else { rows.append(row) }
        case .stage(let target, let stageEvent):
            update(target) { row in
                switch stageEvent {
                case .started(let name):
                    row.stage = (name, now)
                case .finished(let timing):
                    if row.stage?.name == timing.stage { row.stage = nil }
                    row.stagesDone += 1
                    if !timing.ok { row.failedStage = timing.stage }
                }
            }
        case .targetFinished(let target, let profile, let summary, let infra):
            update(target) { row in
                let line = "[\(profile)] \(summary)"
                row.summary = row.summary.map { "\($0); \(line)" } ?? line
                row.finishedAt = now
                row.infra = row.infra || infra
                row.stage = nil
            }
        }
    }

    /// The line a log (CI, a pipe) gets for an event; nil for events not worth a line of their own.
    public static func plainLine(_ event: RunEvent) -> String? {
        line(for: event).map(TerminalText.line)
    }

    private static func line(for event: RunEvent) -> String? {
        switch event {
        case .targetStarted(let target, let attempt, let attempts, let devices):
            attempt == 1
                ? "booting \(target) (\(devices.joined(separator: ", ")))"
                : "\(target): attempt \(attempt) of \(attempts)"
        case .stage(_, .started):
            nil
        case .stage(let target, .finished(let timing)):
            "\(target): \(timing.stage) \(timing.ok ? "ok" : "FAILED") after \(seconds(timing.duration))"
        case .targetFinished(let target, let profile, let summary, _):
            "\(target) [\(profile)]: \(summary)"
        }
    }

    /// One line per target for a terminal, at most `width` characters each.
    public func frame(now: Double, width: Int) -> [String] {
        let nameWidth = min(28, rows.map(\.target.count).max() ?? 0)
        return rows.map { row in
            let name = row.target.count > nameWidth
                ? String(row.target.prefix(nameWidth - 1)) + "…"
                : row.target.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let line = TerminalText.line("\(name)  \(status(row, now: now))")
            return line.count > width ? String(line.prefix(max(1, width - 1))) + "…" : line
        }
    }

    private func status(_ row: Row, now: Double) -> String {
        let retry = row.attempts > 1 ? " (attempt \(row.attempt)/\(row.attempts))" : ""
        if let summary = row.summary {
            let elapsed = Self.seconds((row.finishedAt ?? now) - row.startedAt)
            return "\(row.infra ? "✗" : "✓") \(summary) in \(elapsed)\(retry)"
        }
        let done = "\(row.stagesDone) stage\(row.stagesDone == 1 ? "" : "s") done"
        let failed = row.failedStage.map { ", '\($0)' failed" } ?? ""
        guard let stage = row.stage else {
            return "… \(done)\(failed), \(Self.seconds(now - row.startedAt))\(retry)"
        }
        return "▸ \(stage.name) \(Self.seconds(now - stage.since)) · \(done)\(failed)\(retry)"
    }

    private mutating func update(_ target: String, _ change: (inout Row) -> Void) {
        guard let index = rows.firstIndex(where: { $0.target == target }) else { return }
        change(&rows[index])
    }

    static func seconds(_ value: Double) -> String {
        let clamped = max(0, value)
        let tenths = Int((clamped * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
