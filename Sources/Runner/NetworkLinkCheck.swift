import AVPSModel
import Foundation

/// AVPS2-NET-06: the first network link carries UDP between two of its VMs. The second VM serves
/// an echo on the link NIC, the first sends 20 datagrams from its own link NIC and measures loss
/// and round-trip time; both NICs get their static addresses from the agent.
struct NetworkLinkCheck: SystemCheck {
    let observation = "network_link.delivered"
    static let port = 7777
    static let datagrams = 20

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let missing = Evidence.notRecordedKey(observation)
        guard let index = context.system.links.firstIndex(where: { $0.kind == .network }) else {
            return [missing: .string("the system declares no network link (links: - {kind: network, vms: [a, b]})")]
        }
        let link = context.system.links[index]
        guard let sender = context.member(link.vms[0]), let server = context.member(link.vms[1]) else {
            return [missing: .string("a VM of the network link is not up")]
        }
        guard let senderNIC = nic(sender, link: index), let serverNIC = nic(server, link: index) else {
            return [missing: .string("the guests do not show the link's NIC (MAC \(SystemMembership.networkMAC(link: index, index: 0)) and siblings)")]
        }
        let serverAddress = address(index, server), senderAddress = address(index, sender)
        do {
            let serving = Task {
                try await context.probe(server, "net.udp_serve", device: serverNIC, [
                    "address": .string(serverAddress), "prefix": .int(Int64(SystemMembership.networkPrefixLength)),
                    "port": .int(Int64(Self.port)), "count": .int(Int64(Self.datagrams)), "seconds": .int(9)])
            }
            try await Task.sleep(for: .milliseconds(700))  // the server binds and configures first
            let echo = try await context.probe(sender, "net.udp_echo", device: senderNIC, [
                "address": .string(senderAddress), "prefix": .int(Int64(SystemMembership.networkPrefixLength)),
                "peer": .string(serverAddress), "port": .int(Int64(Self.port)), "count": .int(Int64(Self.datagrams))])
            let served = try await serving.value
            return facts(echo, served, link: link, sender: sender.name, server: server.name)
        } catch {
            return [missing: .string("the echo between \(sender.name) and \(server.name) broke: \(error)")]
        }
    }

    private func facts(_ echo: ProbeResult, _ served: ProbeResult, link: SystemLink, sender: String, server: String) -> [String: FactValue] {
        func int(_ result: ProbeResult, _ key: String) -> Int64 {
            if case .int(let value)? = result.facts[key] { return value }
            return 0
        }
        guard echo.status == .ok, served.status == .ok else {
            return [Evidence.notRecordedKey(observation): .string(
                "the probes could not run: \(sender) \(echo.status.rawValue) \(echo.reason ?? ""); \(server) \(served.status.rawValue) \(served.reason ?? "")")]
        }
        let sent = int(echo, "sent"), received = int(echo, "received"), lost = int(echo, "lost")
        var facts: [String: FactValue] = [
            observation: .bool(sent > 0 && received > 0 && lost == 0 && int(echo, "corrupted") == 0),
            "\(observation).path": .string("\(sender) -> \(server) over QEMU dgram on 127.0.0.1"),
            "\(observation).sent": .int(sent), "\(observation).received": .int(received), "\(observation).lost": .int(lost),
            "\(observation).late": .int(int(echo, "late")), "\(observation).corrupted": .int(int(echo, "corrupted")),
            "\(observation).server_echoed": .int(int(served, "echoed")),
        ]
        for key in ["rtt_avg_ms", "rtt_max_ms", "echo_error", "connect_error"] {
            if let value = echo.facts[key] { facts["\(observation).\(key)"] = value }
        }
        return facts
    }

    /// The guest's device name of the link NIC (found by the MAC avps gave it).
    private func nic(_ member: MemberGuest, link: Int) -> String? {
        guard let index = member.guest.launch.target.membership?.index else { return nil }
        let mac = SystemMembership.networkMAC(link: link, index: index)
        return member.devices.first { device in
            if case .string(let text)? = device.config?["mac"] { return text.lowercased() == mac }
            return false
        }?.name
    }

    private func address(_ link: Int, _ member: MemberGuest) -> String {
        SystemMembership.networkAddress(link: link, index: member.guest.launch.target.membership?.index ?? 0)
    }
}
