import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// Power-cycles one VM of a running system from the host (QMP `system_reset`) and reconnects to
/// its rebooted agent, so the run carries on with it. The run starts QEMU with `-no-reboot`
/// (a reset would otherwise end the guest), so the reboot action is `reset` for the cycle and
/// `shutdown` again afterwards.
struct PowerCycle: Sendable {
    var timeouts: RunTimeouts

    struct Outcome: Sendable {
        /// QEMU's `RESET` event time stamp (seconds since 1970).
        var resetAt: Double
        /// From `RESET` to the rebooted agent's ready event.
        var resetToAgentSeconds: Double
    }

    /// Resets `member`, waits for QEMU's `RESET` and the agent's ready event, and replaces the
    /// member's agent link with the new session.
    func run(_ member: MemberGuest) async throws -> Outcome {
        guard let qmp = member.guest.qmp else { throw RunnerError.infrastructure("\(member.name) has no QMP connection to reset it through") }
        let mark = await qmp.eventLog.count
        try await qmp.execute("set-action", arguments: #"{"reboot":"reset"}"#, deadline: .now + timeouts.request)
        do {
            let earlier = await member.link.current
            try await qmp.execute("system_reset", deadline: .now + timeouts.request)
            guard let reset = try await qmp.waitForEvent(["RESET"], from: mark, deadline: .now + .seconds(15)) else {
                throw RunnerError.infrastructure("QEMU reported no RESET of \(member.name) within 15 s of system_reset")
            }
            let next = AgentClient(stream: try await member.guest.reconnectAgent(), started: earlier.started)
            _ = try await next.waitForReady(deadline: .now + timeouts.boot)
            let ready = Date().timeIntervalSince1970
            await member.link.replace(with: next)
            try await qmp.execute("set-action", arguments: #"{"reboot":"shutdown"}"#, deadline: .now + timeouts.request)
            return Outcome(resetAt: reset.timestamp, resetToAgentSeconds: ready - reset.timestamp)
        } catch {
            _ = try? await qmp.execute("set-action", arguments: #"{"reboot":"shutdown"}"#, deadline: .now + .seconds(2))
            throw error
        }
    }
}
