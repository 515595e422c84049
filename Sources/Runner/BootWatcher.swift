import Foundation
import HypervisorCore

/// Follows the guest's serial log while it boots and time-stamps the stages it can see there,
/// so a boot that stalls says how far it got.
///
/// Stages: `console output` (the first byte on the serial console: firmware or kernel alive),
/// `kernel ready` (the reference init's first `avps-init:` line: the kernel mounted the initramfs
/// and started PID 1), `agent started` (init launched the agent). A vendor guest without our init
/// simply never shows the last two; that is recorded as not reached, not as a failure.
final class BootWatcher: Sendable {
    static let markers: [(stage: String, text: String)] = [
        ("kernel ready", "avps-init:"),
        ("agent started", "avps-init: starting agent"),
    ]

    /// How far behind the end of the log the watcher may fall before it skips ahead.
    static let skipAhead: UInt64 = 64 << 20
    private let serialLog: URL
    private let stages: StageLog
    private let started: ContinuousClock.Instant

    init(serialLog: URL, stages: StageLog, started: ContinuousClock.Instant = .now) {
        self.serialLog = serialLog
        self.stages = stages
        self.started = started
    }

    /// Polls the log until cancelled or every marker was seen. Reads only what was appended.
    func watch() async {
        var offset: UInt64 = 0
        var scanner = ReadinessScanner(markers: Self.markers)
        while !Task.isCancelled, !scanner.done {
            // At most 1 MiB a poll: a console can grow to gigabytes (sparse); a guest that writes
            // faster than that is skipped ahead to its last 64 KiB (markers there still count).
            let size = FileTail.size(serialLog)
            if size > offset + Self.skipAhead { offset = size - 64 * 1024 }
            let data = FileTail.chunk(serialLog, from: offset, maxBytes: 1 << 20)
            offset += UInt64(data.count)
            for stage in scanner.feed(data) { stages.record(stage, start: started, ok: true) }
            if data.count < 1 << 20 { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// A one-line account of how far the boot got, for INFRA messages.
    static func progress(_ stages: StageLog) -> String {
        let seen = Set(stages.timings.map(\.stage))
        let all = ["console output"] + markers.map(\.stage)
        let reached = all.filter(seen.contains)
        guard let last = reached.last else { return "the guest printed nothing on its serial console" }
        let missing = all.filter { !seen.contains($0) }
        return "boot reached '\(last)'" + (missing.isEmpty ? "" : " but not '\(missing.joined(separator: "', '"))'")
    }
}
