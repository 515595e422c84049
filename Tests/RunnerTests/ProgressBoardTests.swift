import AVPSModel
import HypervisorCore
import Runner
import Testing

/// The two progress styles of `avps run`: plain lines for logs, a redrawn frame for terminals.
@Suite struct ProgressBoardTests {
    static func finished(_ stage: String, ok: Bool = true, duration: Double = 1.25) -> StageEvent {
        .finished(StageTiming(stage: stage, startedAt: 0, duration: duration, ok: ok))
    }

    @Test func plainLinesNameTargetStageAndOutcome() {
        #expect(ProgressBoard.plainLine(.targetStarted(target: "q35", attempt: 1, attempts: 1, devices: ["block", "net"]))
                == "booting q35 (block, net)")
        #expect(ProgressBoard.plainLine(.targetStarted(target: "q35", attempt: 2, attempts: 3, devices: []))
                == "q35: attempt 2 of 3")
        #expect(ProgressBoard.plainLine(.stage(target: "q35", .started("probes"))) == nil)
        #expect(ProgressBoard.plainLine(.stage(target: "q35", Self.finished("agent ready", duration: 3.46)))
                == "q35: agent ready ok after 3.5 s")
        #expect(ProgressBoard.plainLine(.stage(target: "q35", Self.finished("inventory", ok: false)))
                == "q35: inventory FAILED after 1.3 s")
        #expect(ProgressBoard.plainLine(.targetFinished(target: "q35", profile: "avps-2.0", summary: "9/11 passed", infra: false))
                == "q35 [avps-2.0]: 9/11 passed")
    }

    @Test func frameShowsTheRunningStageWithItsClock() {
        var board = ProgressBoard()
        board.apply(.targetStarted(target: "alpha", attempt: 1, attempts: 1, devices: []), now: 0)
        board.apply(.targetStarted(target: "beta-with-a-longer-name", attempt: 1, attempts: 2, devices: []), now: 0.5)
        board.apply(.stage(target: "alpha", Self.finished("plan")), now: 1)
        board.apply(.stage(target: "alpha", .started("agent ready")), now: 1)
        board.apply(.stage(target: "beta-with-a-longer-name", Self.finished("hypervisor started", ok: false)), now: 2)
        let frame = board.frame(now: 3.04, width: 200)
        #expect(frame == [
            "alpha                    ▸ agent ready 2.0 s · 1 stage done",
            "beta-with-a-longer-name  … 1 stage done, 'hypervisor started' failed, 2.5 s (attempt 1/2)",
        ])
        board.apply(.targetFinished(target: "alpha", profile: "avps-2.0", summary: "11/11 passed", infra: false), now: 4)
        board.apply(.targetFinished(target: "beta-with-a-longer-name", profile: "avps-2.0", summary: "INFRA: boot", infra: true), now: 5)
        #expect(board.frame(now: 9, width: 200) == [
            "alpha                    ✓ [avps-2.0] 11/11 passed in 4.0 s",
            "beta-with-a-longer-name  ✗ [avps-2.0] INFRA: boot in 4.5 s (attempt 1/2)",
        ])
    }

    @Test func linesFitTheTerminalAndCarryNoControlCharacters() {
        var board = ProgressBoard()
        board.apply(.targetStarted(target: "evil\u{1B}[2J\nname", attempt: 1, attempts: 1, devices: []), now: 0)
        board.apply(.targetFinished(target: "evil\u{1B}[2J\nname", profile: "p", summary: String(repeating: "x", count: 300),
                                    infra: false), now: 1)
        let frame = board.frame(now: 1, width: 40)
        #expect(frame.count == 1)
        #expect(frame.allSatisfy { $0.count <= 40 })
        #expect(!frame.joined().unicodeScalars.contains { $0.value < 0x20 })
        let plain = ProgressBoard.plainLine(.targetStarted(target: "a\u{1B}b\rc", attempt: 1, attempts: 1, devices: []))
        #expect(plain == "booting a\u{FFFD}b c ()")  // ESC replaced, CR a space (TerminalText.line)
    }
}
