import AVPSModel
import AgentProtocol

/// Guest-to-guest vsock over a system's `vsock` links: the first VM of each link runs
/// `vsock.peer_echo` against every other VM's agent (its bulk port, 1025) at that VM's CID in the
/// system's vsock namespace (3 + its position; one backend serves them all). The observation is
/// true only when every pair echoed every message intact; the details keep each pair's round
/// trip, throughput and, on failure, the agent's `fault`.
struct VsockLinkCheck: SystemCheck {
    var observation: String { Self.observation }
    static let observation = "guest_vsock.echo_intact"
    /// The first pair's median round trip (a key figure of its own).
    static let roundTrip = "guest_vsock.rtt_p50_us"
    static let messages: Int64 = 100

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let facts = await measureLinks(context)
        guard facts[Self.observation] == nil, case .string(let why)? = facts[Evidence.notRecordedKey(Self.observation)] else { return facts }
        return facts.merging([Evidence.notRecordedKey(Self.roundTrip): .string(why)]) { first, _ in first }
    }

    private func measureLinks(_ context: SystemCheckContext) async -> [String: FactValue] {
        let key = Self.observation
        let links = context.links(.vsock)
        guard !links.isEmpty else { return [Evidence.notRecordedKey(key): .string("the system declares no vsock link")] }
        var facts: [String: FactValue] = [:]
        var working = true
        for (index, link) in links {
            if let why = context.missing(link) { return [Evidence.notRecordedKey(key): .string("vsock link \(index): \(why)")] }
            guard let from = context.member(link.vms[0]) else { continue }
            guard let device = from.collected.evidence?.devices.first(where: { $0.deviceID == 19 /* vsock */ })?.name else {
                return [Evidence.notRecordedKey(key): .string("VM \(link.vms[0]) has no vsock device in its inventory")]
            }
            for peer in link.vms.dropFirst() {
                guard let position = context.position(peer) else { continue }
                let cid = SystemMembership.vsockCID(index: position)
                let prefix = "\(key).link\(index).\(link.vms[0])_to_\(peer)"
                let result: ProbeResult
                do {
                    result = try await context.probe(from, "vsock.peer_echo", device: device,
                                                     ["cid": .int(Int64(cid)), "port": .int(1025), "count": .int(Self.messages),
                                                      "size": .int(64), "bulk_bytes": .int(1 << 20)])
                } catch {
                    return [Evidence.notRecordedKey(key): .string("vsock.peer_echo on \(link.vms[0]): \(error)")]
                }
                guard result.status == .ok else {
                    return [Evidence.notRecordedKey(key): .string("vsock.peer_echo on \(link.vms[0]): \(result.reason ?? result.status.rawValue)")]
                }
                for fact in ["rtt_p50_us", "bulk_mib_per_s", "echoed", "corrupted", "fault", "connect_error"] {
                    if let value = result.facts[fact] { facts["\(prefix).\(fact)"] = value }
                }
                let intact = result.facts["fault"] == nil && result.facts["echoed"] == .int(Self.messages)
                    && result.facts["corrupted"] == .int(0)
                working = working && intact
                if facts[Self.roundTrip] == nil, let rtt = result.facts["rtt_p50_us"] { facts[Self.roundTrip] = rtt }
            }
        }
        facts[key] = .bool(working)
        return facts
    }
}
