import AVPSModel
import HypervisorCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A system VM's links as libvirt devices. libvirt can join two domains without a bridge, a
/// libvirt network or root-only plumbing through a `udp` interface: QEMU's socket netdev sending
/// to the sibling's 127.0.0.1 port and receiving on its own, so a two-VM network link works as on
/// the qemu adapter. Its `mcast` interface has no local address (its traffic would follow the
/// host's multicast route off the machine), it cannot name our vsock backend and its ivshmem
/// lives in /dev/shm under libvirt's control, so those links are refused (the suite loader
/// refuses them first, naming the link).
extension LibvirtDomainXML {
    static func linkElements(_ membership: SystemMembership?) throws(HypervisorError) -> (elements: [XMLElement], expected: [Int]) {
        guard let membership else { return ([], []) }
        var elements: [XMLElement] = []
        for (index, link) in membership.ownLinks {
            guard link.kind == .network else {
                throw .unsupported("\(link.kind.rawValue) link \(index) of system \(membership.system) through libvirt (libvirt systems take network links of two VMs only)")
            }
            guard link.vms.count == 2 else {
                throw .unsupported("network link \(index) of system \(membership.system) joins \(link.vms.count) VMs; through libvirt a network link joins two (a udp interface is point to point)")
            }
            guard let ports = link.ports, ports.count == 2, let own = link.vms.firstIndex(of: membership.vm) else {
                throw .invalidTarget("network link \(index) of system \(membership.system) has no host ports (they are chosen when the system starts)")
            }
            elements.append(element("interface", ["type": "udp"], children: [
                element("mac", ["address": SystemMembership.networkMAC(link: index, index: membership.index)]),
                element("source", ["address": "127.0.0.1", "port": String(ports[1 - own])], children: [
                    element("local", ["address": "127.0.0.1", "port": String(ports[own])]),
                ]),
                element("model", ["type": "virtio"]),
            ]))
        }
        return (elements, elements.map { _ in 1 })
    }
}
