import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The platform's own reset of the guest: the external contract's `reset` command, run where the
/// hypervisor runs (on the remote host with `remote:`). The guest's boot id is read, the command
/// runs, the agent of the rebooted guest is awaited on its channel and asked again, and the run
/// carries on with it. Facts recorded (host observations):
///
/// - `platform_reset_reboots_guest` (bool): the command succeeded and the agent came back ready
///   with a new boot id (an unchanged one means the guest was not reset);
/// - `platform_reset_to_agent_seconds`: from running the command to the new agent's `ready`;
/// - `platform_reset_detail`: what went wrong.
///
/// No avps-2.0 requirement rests on it: it is evidence that the declared `reset` does what it
/// says. A failing command is recorded and the run carries on with the old guest; a guest that
/// never comes back ends the run (INFRA at this stage): nothing is left to power off.
struct PlatformResetStage {
    static let observation = "platform_reset_reboots_guest"
    var timeouts: RunTimeouts

    func run(_ client: AgentClient, guest: RunningGuest, reset: @Sendable () async throws -> Void,
             record: @Sendable ([String: FactValue]) -> Void) async throws -> AgentClient {
        let before = try await bootID(client)
        let start = ContinuousClock.now
        do {
            try await reset()
        } catch {
            record([Self.observation: .bool(false), "platform_reset_detail": .string("the reset command failed: \(error)")])
            return client
        }
        let next = AgentClient(stream: try await guest.reconnectAgent(), started: client.started)
        do {
            _ = try await next.waitForReady(deadline: .now + timeouts.boot)
        } catch {
            record([Self.observation: .bool(false),
                    "platform_reset_detail": .string("no agent came back within \(timeouts.boot) of the reset: \(error)")])
            throw error
        }
        let seconds = (ContinuousClock.now - start).seconds
        let after = try await bootID(next)
        var facts: [String: FactValue] = [Self.observation: .bool(before != nil && after != nil && before != after),
                                          "platform_reset_to_agent_seconds": .double((seconds * 1000).rounded() / 1000)]
        if before == nil || after == nil {
            facts["platform_reset_detail"] = .string("the agent reported no boot id, so a reboot cannot be told from a reconnect")
        } else if before == after {
            facts["platform_reset_detail"] = .string("the agent answered again with the same boot id: the guest was not reset")
        }
        record(facts)
        return next
    }

    private func bootID(_ client: AgentClient) async throws -> FactValue? {
        try await client.probe(ProbeRequest(name: "system.uptime", device: nil, params: [:]), deadline: .now + timeouts.request)
            .facts["boot_id"]
    }
}
