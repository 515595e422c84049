import ArgumentParser
import Foundation
import Runner
import Synchronization

/// How `avps run` shows progress on stderr.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    /// Live on a terminal; plain when stderr is not a terminal, `CI` is set, or `TERM=dumb`.
    case auto
    /// A per-target stage display redrawn in place (ANSI cursor movement).
    case live
    /// One line per event, for logs.
    case plain

    var resolved: ProgressStyle {
        guard self == .auto else { return self }
        let environment = ProcessInfo.processInfo.environment
        let inCI = !(environment["CI"] ?? "").isEmpty
        return isatty(STDERR_FILENO) == 1 && !inCI && environment["TERM"] != "dumb" ? .live : .plain
    }
}

/// Writes `RunEvent`s to stderr, live or plain. Events arrive from concurrent target tasks; the
/// board and the terminal lines it drew are kept behind one lock so frames never interleave.
final class ProgressDisplay: Sendable {
    private struct State {
        var board = ProgressBoard()
        var linesDrawn = 0
    }

    private let live: Bool
    private let origin = ContinuousClock.now
    private let state = Mutex(State())
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(style: ProgressStyle) {
        live = style.resolved == .live
    }

    /// Starts the once-per-half-second redraw that keeps stage clocks moving on a terminal.
    func start() {
        guard live else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                self?.redraw()
            }
        }
        ticker.withLock { $0 = task }
    }

    func handle(_ event: RunEvent) {
        state.withLock { state in
            state.board.apply(event, now: elapsed)
            if live {
                draw(&state)
            } else if let line = ProgressBoard.plainLine(event) {
                Console.info(line)
            }
        }
    }

    /// Stops the ticker and leaves the final frame on screen.
    func finish() {
        ticker.withLock { $0?.cancel() }
        redraw()
    }

    private func redraw() {
        guard live else { return }
        state.withLock { draw(&$0) }
    }

    /// Moves the cursor back over the previous frame, clears to the end of the screen, and
    /// writes the new frame (one line per target, cut to the terminal width).
    private func draw(_ state: inout State) {
        var text = state.linesDrawn > 0 ? "\u{1B}[\(state.linesDrawn)F\u{1B}[J" : ""
        let lines = state.board.frame(now: elapsed, width: Self.terminalWidth())
        for line in lines { text += line + "\n" }
        state.linesDrawn = lines.count
        FileHandle.standardError.write(Data(text.utf8))
    }

    private var elapsed: Double {
        let duration = ContinuousClock.now - origin
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10 else { return 100 }
        return Int(size.ws_col)
    }
}
