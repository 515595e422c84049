import AVPSModel
import HypervisorCore

/// A system's network links under the external contract: avps picks the host ports and MACs (as
/// for the qemu adapter) and hands them to each VM's start command as placeholders; the vendor's
/// command wires its NIC with them. For link N this VM takes part in:
/// - `{linkN_port}`: its own UDP port on 127.0.0.1;
/// - `{linkN_peer_port}`: the sibling's port (links of two VMs);
/// - `{linkN_mcast}`: `239.255.77.1:PORT`, one multicast group for every VM of the link;
/// - `{linkN_mac}`: the MAC avps expects on the VM's link NIC (the checks find the NIC by it);
/// - `{linkN_address}`: the IPv4 address the agent gives that NIC.
/// Only network links: the contract cannot hand avps's vsock backend or shared-memory file over.
enum ExternalLinks {
    static func placeholders(_ membership: SystemMembership?) throws(HypervisorError) -> (values: [String: String], expected: [Int]) {
        guard let membership else { return ([:], []) }
        var values: [String: String] = [:]
        var expected: [Int] = []
        for (index, link) in membership.ownLinks {
            guard link.kind == .network else {
                throw .unsupported("\(link.kind.rawValue) link \(index) of system \(membership.system) through the external contract (network links only)")
            }
            guard let ports = link.ports, ports.count == link.vms.count, let own = link.vms.firstIndex(of: membership.vm) else {
                throw .invalidTarget("network link \(index) of system \(membership.system) has no host ports (they are chosen when the system starts)")
            }
            let name = "link\(index)"
            values["\(name)_port"] = String(ports[own])
            if ports.count == 2 { values["\(name)_peer_port"] = String(ports[1 - own]) }
            values["\(name)_mcast"] = "239.255.77.1:\(ports[0])"
            values["\(name)_mac"] = SystemMembership.networkMAC(link: index, index: membership.index)
            values["\(name)_address"] = SystemMembership.networkAddress(link: index, index: membership.index)
            expected.append(1)
        }
        return (values, expected)
    }
}
