import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The destructive watchdog test (suite `{watchdog: {expiry_test: true}}`): the agent arms the
/// guest's watchdog with a short timeout and stops feeding it; the host, not the guest, then
/// decides whether the platform kept its promise, from what QEMU reports on QMP (a `WATCHDOG`
/// event, then `RESET` of the guest), and the runner reconnects to the rebooted agent so the run
/// carries on. Facts recorded (host observations):
///
/// - `watchdog_expiry_reset` (bool): QEMU reported the expiry (`WATCHDOG`) and then reset the
///   guest (`RESET`); what the profile checks. A reset without the event is someone else's.
/// - `watchdog_expiry_event` (bool), `watchdog_expiry_action` (QEMU's `WATCHDOG` action).
/// - `watchdog_expiry_fire_seconds`: from the arming answer's arrival to `WATCHDOG` (QEMU's time
///   stamp; the guest armed just before answering, so a punctual watchdog shows its timeout
///   minus the answer's transit time).
/// - `watchdog_expiry_reset.detail` (quoted in a FAIL): what went wrong, when no reset or no event was seen.
/// - `watchdog_expiry_reset_to_agent_seconds`: `RESET` to the rebooted agent's ready event.
///
/// The run starts QEMU with `-no-reboot` (a guest that reboots by itself must end the run), so
/// for the test the reboot action is switched to `reset` over QMP and back afterwards. Targets
/// without QMP (external) are judged by the guest's boot id instead (`WatchdogExpiryStage+BootID`).
struct WatchdogExpiryStage {
    static let observation = "watchdog_expiry_reset"
    static let detail = Evidence.detailKey(observation)
    var timeouts: RunTimeouts

    /// Why the test does not run on this target, as the observation's not-recorded reason; nil
    /// when it does run.
    static func skipReason(_ launch: PreparedLaunch) -> String? {
        guard let watchdog = launch.target.devices.first(where: { $0.kind == "watchdog" }) else {
            return "the target has no watchdog device"
        }
        guard watchdog.watchdogExpiry != nil else {
            return "the destructive watchdog test is off (enable it with the device option {watchdog: {expiry_test: true}})"
        }
        if let why = launch.withheldPlatformDevices["watchdog"] { return "the hypervisor cannot offer a watchdog: \(why)" }
        guard Self.observers.contains(launch.target.adapter) else {
            return "the destructive watchdog test needs QMP events (qemu, ssh adapters) or the guest's boot id across the expiry "
                + "(external adapter); the \(launch.target.adapter) adapter has neither yet"
        }
        return nil
    }

    /// Adapters whose targets can show the host a reset: QMP events (qemu, ssh), the guest's boot
    /// id before and after (external, `WatchdogExpiryStage+BootID`).
    static let observers: Set<String> = ["qemu", "ssh", "external"]

    /// Runs the test. `record` receives the probe result and each observation as soon as it is
    /// known (a later fault keeps them); returns the agent client to carry on with.
    func run(_ client: AgentClient, guest: RunningGuest, seconds: Int,
             record: @Sendable (ProbeResult?, [String: FactValue]) -> Void) async throws -> AgentClient {
        let notRecorded = Evidence.notRecordedKey(Self.observation)
        guard let qmp = guest.qmp else {
            return try await expireWatchingBootID(client, guest: guest, seconds: seconds, record: record)
        }
        let mark = await qmp.eventLog.count
        do {
            try await qmp.execute("set-action", arguments: #"{"reboot":"reset"}"#, deadline: .now + timeouts.request)
        } catch {
            record(nil, [notRecorded: .string("QEMU would not let a reset reboot the guest (set-action: \(error))")])
            return client
        }
        do {
            let next = try await expire(client, guest: guest, qmp: qmp, mark: mark, seconds: seconds, record: record)
            try await qmp.execute("set-action", arguments: #"{"reboot":"shutdown"}"#, deadline: .now + timeouts.request)
            return next
        } catch {
            _ = try? await qmp.execute("set-action", arguments: #"{"reboot":"shutdown"}"#, deadline: .now + .seconds(2))
            throw error
        }
    }

    private func expire(_ client: AgentClient, guest: RunningGuest, qmp: QMPClient, mark: Int, seconds: Int,
                        record: @Sendable (ProbeResult?, [String: FactValue]) -> Void) async throws -> AgentClient {
        guard try await arm(client, seconds: seconds, record: record) else { return client }
        let armedAt = Date().timeIntervalSince1970
        let patience = Self.patience(seconds)
        let first = try await qmp.waitForEvent(["WATCHDOG", "RESET"], from: mark, deadline: .now + patience)
        let watchdog = first?.name == "WATCHDOG" ? first : nil
        let reset = first?.name == "RESET" ? first
            : watchdog == nil ? nil : try await qmp.waitForEvent(["RESET"], from: mark, deadline: .now + .seconds(10))
        // Only a reset that follows QEMU's report of the expiry is the watchdog's doing.
        var facts: [String: FactValue] = [Self.observation: .bool(watchdog != nil && reset != nil),
                                          "watchdog_expiry_event": .bool(watchdog != nil)]
        if let watchdog {
            facts["watchdog_expiry_action"] = .string(watchdog.data["action"] ?? "unknown")
            facts["watchdog_expiry_fire_seconds"] = .double(watchdog.timestamp - armedAt)
        }
        if reset != nil, watchdog == nil {
            facts[Self.detail] = .string("the guest was reset without a WATCHDOG event first: something else reset it")
        }
        guard let reset else {
            facts[Self.detail] = .string(watchdog == nil
                ? "no WATCHDOG or RESET event within \(Int(patience.seconds)) s of arming a \(seconds) s watchdog"
                : "QEMU reported the expiry (action \(watchdog?.data["action"] ?? "unknown")) but no RESET followed within 10 s")
            record(nil, facts)
            return client  // the guest was not reset, so its agent still answers
        }
        record(nil, facts)
        let next = AgentClient(stream: try await guest.reconnectAgent(), started: client.started)
        _ = try await next.waitForReady(deadline: .now + timeouts.boot)
        record(nil, ["watchdog_expiry_reset_to_agent_seconds": .double(Date().timeIntervalSince1970 - reset.timestamp)])
        return next
    }
}

extension WatchdogExpiryStage {
    /// Generous: a loaded TCG host delays both the guest and the hypervisor's timers.
    static func patience(_ seconds: Int) -> Duration { .seconds(seconds * 3 + 20) }

    /// Asks the agent to arm the watchdog and leave it unfed; false (recorded as why the
    /// observation is missing) when the agent could not.
    func arm(_ client: AgentClient, seconds: Int, record: @Sendable (ProbeResult?, [String: FactValue]) -> Void) async throws -> Bool {
        let request = ProbeRequest(name: "watchdog.expire", device: nil, params: ["timeout": .int(Int64(seconds))])
        let armed = try await client.probe(request, deadline: .now + timeouts.request)
        record(armed, [:])
        guard armed.status == .ok else {
            record(nil, [Evidence.notRecordedKey(Self.observation):
                            .string("the agent could not arm the watchdog: \(armed.reason ?? "no reason given")")])
            return false
        }
        return true
    }
}

/// The agent client of a target, replaced when the guest reboots under the run (the destructive
/// watchdog test); the transcript keeps every client's frames in order.
actor AgentLink {
    private(set) var current: AgentClient
    private var earlier: [AgentClient] = []

    init(_ first: AgentClient) { current = first }

    func replace(with next: AgentClient) {
        guard next !== current else { return }
        earlier.append(current)
        current = next
    }

    var transcript: [AgentClient.TranscriptLine] {
        get async {
            var lines: [AgentClient.TranscriptLine] = []
            for client in earlier + [current] { lines += await client.transcript }
            return lines
        }
    }
}
