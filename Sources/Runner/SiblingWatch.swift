import AVPSModel
import AgentProtocol

/// What the host saw of one VM while another VM of its system was reset (the watchdog and the
/// restart isolation checks): its agent session asked for uptime and boot id at a fixed
/// interval, and optionally its network to the host exercised between the questions.
struct SiblingWatch: Sendable {
    var answers = 0, unanswered = 0
    var bootChanged = false, uptimeBack = false
    /// Longest time between two answers (or from the start to the first), in milliseconds.
    var maxGapMilliseconds = 0.0
    /// Datagrams the VM sent to the host's echo peer over its own NIC, and how many came back.
    var hostEchoSent = 0, hostEchoLost = 0
    var hostEchoError: String?

    /// The agent session broke, the guest rebooted or its clock went back.
    var disturbed: Bool { unanswered > 0 || bootChanged || uptimeBack || answers == 0 }

    /// How to reach the VM's network to the host: its user NIC and the host echo peer's port.
    struct HostEcho: Sendable {
        var device: String
        var port: Int
    }

    /// Asks `member` every `interval` until cancelled: `system.uptime` over its current agent
    /// session, then, with `hostEcho`, two datagrams to the host over its own NIC.
    static func watch(_ member: MemberGuest, every interval: Duration, hostEcho: HostEcho? = nil) async -> SiblingWatch {
        var watch = SiblingWatch()
        var boot: FactValue?
        var uptime = -1.0
        var lastAnswer = ContinuousClock.now
        while !Task.isCancelled {
            let started = ContinuousClock.now
            // The current session: one the run replaced after a reset (its own or a faulty
            // platform's) still answers, and then shows the new boot id.
            let client = await member.link.current
            do {
                let result = try await client.probe(ProbeRequest(name: "system.uptime", device: nil, params: [:]),
                                                    deadline: .now + .seconds(3))
                watch.answers += 1
                watch.maxGapMilliseconds = max(watch.maxGapMilliseconds, milliseconds(.now - lastAnswer))
                lastAnswer = .now
                if let id = result.facts["boot_id"] {
                    if let boot, boot != id { watch.bootChanged = true }
                    boot = id
                }
                if case .double(let value)? = result.facts["uptime_seconds"] {
                    if value < uptime { watch.uptimeBack = true }
                    uptime = value
                }
                if let hostEcho, await watch.echo(client, hostEcho) {
                    // The echo's answer came over the same session: it answered.
                    watch.maxGapMilliseconds = max(watch.maxGapMilliseconds, milliseconds(.now - lastAnswer))
                    lastAnswer = .now
                }
            } catch {
                if Task.isCancelled { break }
                watch.unanswered += 1
            }
            try? await Task.sleep(until: started + interval)
        }
        if watch.answers > 0 { watch.maxGapMilliseconds = max(watch.maxGapMilliseconds, milliseconds(.now - lastAnswer)) }
        return watch
    }

    /// Two datagrams to the host through the VM's own NIC; true when the agent answered.
    private mutating func echo(_ client: AgentClient, _ hostEcho: HostEcho) async -> Bool {
        let request = ProbeRequest(name: "net.udp_echo", device: hostEcho.device, params: [
            "address": .string(ProbePlan.guestAddress), "prefix": .int(24), "peer": .string(ProbePlan.hostAddress),
            "port": .int(Int64(hostEcho.port)), "count": .int(2), "size": .int(64)])
        do {
            let result = try await client.probe(request, deadline: .now + .seconds(5))
            if case .int(let sent)? = result.facts["sent"], case .int(let received)? = result.facts["received"] {
                let late: Int64 = if case .int(let value)? = result.facts["late"] { value } else { 0 }
                hostEchoSent += Int(sent)
                hostEchoLost += Int(sent - received - late)
            } else {
                hostEchoError = result.reason ?? result.facts["fault"].map { "\($0)" } ?? "no echo counts in the answer"
            }
            return true
        } catch {
            hostEchoError = "\(error)"
            return false
        }
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
