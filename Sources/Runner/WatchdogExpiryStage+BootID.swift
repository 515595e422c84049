import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The watchdog expiry on a target without QMP (external): no hypervisor event says the guest
/// was reset, so the host asks the guest's agent for its boot id (`system.uptime`, from
/// /proc/sys/kernel/random/boot_id) before arming and once an agent answers again. Only a new
/// boot id is a reset; an agent that keeps answering with the old one for the whole patience
/// window was reset by nothing. Facts, besides `watchdog_expiry_reset`:
///
/// - `watchdog_expiry_method`: `boot_id` (the QMP path does not set it);
/// - `watchdog_expiry_quiet_seconds`: arming to the old agent's last answer going unanswered;
/// - `watchdog_expiry_back_seconds`: arming to the new agent's `ready` event;
/// - `watchdog_expiry_serial_boots`: kernel banners the serial log gained meanwhile, when the
///   target writes one (a second look at the same reboot, not what decides);
/// - `watchdog_expiry_reset.detail` (quoted in a FAIL): what was seen when no reset was.
extension WatchdogExpiryStage {
    func expireWatchingBootID(_ client: AgentClient, guest: RunningGuest, seconds: Int,
                              record: @Sendable (ProbeResult?, [String: FactValue]) -> Void) async throws -> AgentClient {
        guard let before = try await Self.bootID(client, deadline: .now + timeouts.request) else {
            record(nil, [Evidence.notRecordedKey(Self.observation):
                            .string("the agent reports no boot id (system.uptime), so the host cannot tell a reset from none")])
            return client
        }
        let bannersBefore = Self.bootBanners(guest.launch.serialLog)
        guard try await arm(client, seconds: seconds, record: record) else { return client }
        let armedAt = ContinuousClock.now
        var facts: [String: FactValue] = ["watchdog_expiry_method": .string("boot_id")]
        // While the guest still runs, its old agent answers with the old boot id. On a channel that
        // outlives the reboot (virtio-serial) a new agent may answer the question already.
        while ContinuousClock.now < armedAt + Self.patience(seconds) {
            let asked = ContinuousClock.now
            guard let id = try? await Self.bootID(client, deadline: .now + .seconds(5)) else { break }
            if id != before {
                facts[Self.observation] = .bool(true)
                facts["watchdog_expiry_back_seconds"] = .double((ContinuousClock.now - armedAt).seconds)
                record(nil, facts)
                return client
            }
            try await Task.sleep(until: asked + .seconds(1))
        }
        let quiet = (ContinuousClock.now - armedAt).seconds
        guard ContinuousClock.now < armedAt + Self.patience(seconds) else {
            facts[Self.observation] = .bool(false)
            facts[Self.detail] = .string("the agent kept answering with the same boot id for \(Int(quiet)) s after "
                + "arming a \(seconds) s watchdog: the expiry reset nothing")
            record(nil, facts)
            return client  // the guest was not reset, so its agent still answers
        }
        facts["watchdog_expiry_quiet_seconds"] = .double(quiet)
        let next = AgentClient(stream: try await guest.reconnectAgent(), started: client.started)
        let after: String?
        do {
            _ = try await next.waitForReady(deadline: .now + timeouts.boot)
            facts["watchdog_expiry_back_seconds"] = .double((ContinuousClock.now - armedAt).seconds)
            after = try await Self.bootID(next, deadline: .now + timeouts.request)
        } catch {
            facts[Self.observation] = .bool(false)
            facts[Self.detail] = .string("the agent stopped answering \(Int(quiet)) s after arming and no agent came back "
                + "within \(Int(timeouts.boot.seconds)) s (\(error)): the platform stopped the guest instead of resetting it")
            record(nil, facts)
            return next
        }
        if let banners = bannersBefore, let now = Self.bootBanners(guest.launch.serialLog) {
            facts["watchdog_expiry_serial_boots"] = .int(Int64(now - banners))
        }
        facts[Self.observation] = .bool(after != nil && after != before)
        if after == before {
            facts[Self.detail] = .string("an agent answered again, but with the same boot id: the guest was not reset")
        }
        record(nil, facts)
        return next
    }

    /// The guest's boot id, as its agent reports it; nil when the agent does not say.
    static func bootID(_ client: AgentClient, deadline: ContinuousClock.Instant) async throws -> String? {
        let answer = try await client.probe(ProbeRequest(name: "system.uptime", device: nil, params: [:]), deadline: deadline)
        guard case .string(let id)? = answer.facts["boot_id"], !id.isEmpty else { return nil }
        return id
    }

    /// Linux boot banners in the serial log so far; nil when the target writes none.
    static func bootBanners(_ log: URL) -> Int? {
        guard let data = FileManager.default.contents(atPath: log.path), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self).components(separatedBy: "Linux version ").count - 1
    }
}
