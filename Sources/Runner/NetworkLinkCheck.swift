import AVPSModel
import Foundation

/// AVPS2-NET-06: the first network link carries UDP between its VMs. With two VMs the second
/// serves an echo on its link NIC and the first sends 20 datagrams to it; with three or more every
/// other VM serves and the first sends to the link's broadcast address, so each datagram must
/// reach every sibling (the link is one shared segment, not a set of pairs). The sender measures
/// loss and round-trip time, each server counts what it echoed; the agent gives every NIC its
/// static address.
struct NetworkLinkCheck: SystemCheck {
    var observation = "network_link.delivered"
    static let port = 7777
    static let datagrams = 20

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        guard let index = context.system.links.firstIndex(where: { $0.kind == .network }) else {
            return [Evidence.notRecordedKey(observation): .string("the system declares no network link (links: - {kind: network, vms: [a, b]})")]
        }
        let link = context.system.links[index]
        return await echo(context, link: index, sender: link.vms[0], servers: Array(link.vms.dropFirst()))
    }

    /// `sender` sends over link `index` to `servers` (one: its address; more: the broadcast address).
    func echo(_ context: SystemCheckContext, link index: Int, sender senderVM: String, servers serverVMs: [String]) async -> [String: FactValue] {
        let missing = Evidence.notRecordedKey(observation)
        let members = serverVMs.compactMap(context.member)
        guard let sender = context.member(senderVM), members.count == serverVMs.count, !members.isEmpty else {
            return [missing: .string("a VM of the network link is not up")]
        }
        guard let senderNIC = nic(sender, link: index), members.allSatisfy({ nic($0, link: index) != nil }) else {
            return [missing: .string("the guests do not show the link's NIC (MAC \(SystemMembership.networkMAC(link: index, index: 0)) and siblings)")]
        }
        let broadcast = members.count > 1
        let peer = broadcast ? SystemMembership.networkBroadcast(link: index) : address(index, members[0])
        do {
            let serving = members.map { server in
                Task {
                    try await context.probe(server, "net.udp_serve", device: nic(server, link: index), [
                        "address": .string(address(index, server)), "prefix": .int(Int64(SystemMembership.networkPrefixLength)),
                        "port": .int(Int64(Self.port)), "count": .int(Int64(Self.datagrams)), "seconds": .int(9)])
                }
            }
            try await Task.sleep(for: .milliseconds(members.count > 1 ? 1500 : 700))  // the servers bind and configure first
            var params: [String: FactValue] = [
                "address": .string(address(index, sender)), "prefix": .int(Int64(SystemMembership.networkPrefixLength)),
                "peer": .string(peer), "port": .int(Int64(Self.port)), "count": .int(Int64(Self.datagrams))]
            if broadcast { params["broadcast"] = .bool(true) }
            let echo = try await context.probe(sender, "net.udp_echo", device: senderNIC, params)
            var served: [(String, ProbeResult)] = []
            for (server, task) in zip(members, serving) { served.append((server.vm, try await task.value)) }
            return facts(echo, served, link: context.system.links[index], sender: sender.vm)
        } catch {
            return [missing: .string("the echo between \(sender.name) and \(members.map(\.name).joined(separator: ", ")) broke: \(error)")]
        }
    }

    private func facts(_ echo: ProbeResult, _ served: [(vm: String, result: ProbeResult)], link: SystemLink, sender: String) -> [String: FactValue] {
        func int(_ result: ProbeResult, _ key: String) -> Int64 {
            if case .int(let value)? = result.facts[key] { return value }
            return 0
        }
        guard echo.status == .ok, served.allSatisfy({ $0.result.status == .ok }) else {
            let reasons = [(sender, echo)] + served.map { ($0.vm, $0.result) }
            return [Evidence.notRecordedKey(observation): .string("the probes could not run: "
                + reasons.map { "\($0.0) \($0.1.status.rawValue) \($0.1.reason ?? "")" }.joined(separator: "; "))]
        }
        let sent = int(echo, "sent"), received = int(echo, "received"), lost = int(echo, "lost")
        let broadcast = served.count > 1
        let everyServerHeardAll = served.allSatisfy { int($0.result, "echoed") == sent }
        let path = link.vms.count == 2 ? "QEMU dgram on 127.0.0.1" : "a QEMU multicast socket on 127.0.0.1 (one segment for \(link.vms.count) VMs)"
        var facts: [String: FactValue] = [
            observation: .bool(sent > 0 && received > 0 && lost == 0 && int(echo, "corrupted") == 0
                               && (!broadcast || (everyServerHeardAll && int(echo, "responders") == Int64(served.count)))),
            "\(observation).path": .string("\(sender) -> \(served.map(\.vm).joined(separator: ", "))\(broadcast ? " (broadcast)" : "") over \(path)"),
            "\(observation).sent": .int(sent), "\(observation).received": .int(received), "\(observation).lost": .int(lost),
            "\(observation).late": .int(int(echo, "late")), "\(observation).corrupted": .int(int(echo, "corrupted")),
        ]
        if broadcast {
            facts["\(observation).responders"] = .int(int(echo, "responders"))
            for (vm, result) in served { facts["\(observation).\(vm)_echoed"] = .int(int(result, "echoed")) }
        } else if let only = served.first {
            facts["\(observation).server_echoed"] = .int(int(only.result, "echoed"))
        }
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
