import AVPSModel
import AgentProtocol

/// What the link checks (guest-to-guest vsock, shared memory) share: finding a VM of a link among
/// the VMs that are up, and asking one of them for a probe.
struct LinkMembers: Sendable {
    var members: [MemberGuest]
    var system: TargetSpec

    /// The VM with this short name, when it is up.
    func member(_ vm: String) -> MemberGuest? {
        members.first { $0.guest.launch.target.membership?.vm == vm }
    }

    /// The VM's position in the system (it decides its vsock CID).
    func position(_ vm: String) -> Int? { system.vms.firstIndex { $0.membership?.vm == vm } }

    /// The links of one kind with their position among the system's links.
    func links(_ kind: SystemLink.Kind) -> [(index: Int, link: SystemLink)] {
        system.links.enumerated().filter { $0.element.kind == kind }.map { ($0.offset, $0.element) }
    }

    /// The VMs of `link` that are not up, as a reason; nil when all are.
    func missing(_ link: SystemLink) -> String? {
        let down = link.vms.filter { member($0) == nil }
        return down.isEmpty ? nil : "VM(s) \(down.joined(separator: ", ")) of the link did not come up"
    }

    /// One probe on a VM, under the agent's own deadline plus some slack.
    func probe(_ member: MemberGuest, _ name: String, device: String?, _ params: [String: FactValue]) async throws -> ProbeResult {
        let client = await member.link.current
        return try await client.probe(ProbeRequest(name: name, device: device, params: params),
                                      deadline: .now + member.timeouts.request + .seconds(20))
    }
}
