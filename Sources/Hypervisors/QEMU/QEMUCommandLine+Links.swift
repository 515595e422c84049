import AVPSModel
import HypervisorCore

/// The links of a system's VM as QEMU devices, all without root or host plumbing:
/// - network: a second virtio-net NIC per link with a fixed MAC (`SystemMembership.networkMAC`),
///   its frames carried between the QEMU processes as UDP datagrams on 127.0.0.1 (`-netdev dgram`,
///   point to point for two VMs; a multicast group bound to loopback for more), so guest-to-guest
///   traffic never leaves this machine;
/// - shared-memory: `ivshmem-plain` over one file in the system's shared directory;
/// - vsock: nothing here (the vsock device comes with the agent channel and its backend).
extension QEMUCommandLine {
    static func linkArguments(_ membership: SystemMembership?, machine: QEMUMachine) throws(HypervisorError)
        -> (arguments: [String], expectedDevices: [Int]) {
        guard let membership else { return ([], []) }
        var args: [String] = []
        var expected: [Int] = []
        for (index, link) in membership.ownLinks {
            let id = "link\(index)"
            switch link.kind {
            case .network:
                guard let netdev = networkBackend(link, id: id, vm: membership.vm) else {
                    throw .invalidTarget("network link \(index) of system \(membership.system) has no host ports (they are chosen when the system starts)")
                }
                let mac = SystemMembership.networkMAC(link: index, index: membership.index)
                args += ["-netdev", netdev, "-device", "\(machine.model("virtio-net")),netdev=\(id),mac=\(mac),id=dev-\(id)"]
                expected.append(1)
            case .sharedMemory:
                guard let directory = membership.sharedDirectory else {
                    throw .invalidTarget("shared-memory link \(index) of system \(membership.system) has no shared directory (made when the system starts)")
                }
                guard machine.transport == .pci else {
                    throw .invalidTarget("shared-memory links use ivshmem-plain, a PCI device: VM \(membership.vm) needs transport pci")
                }
                args += ["-object", "memory-backend-file,id=\(id),share=on,mem-path=\(sharedMemoryPath(directory, link: index, membership: membership)),size=\(link.sizeMiB ?? SystemLink.defaultSharedMemoryMiB)M",
                         "-device", "ivshmem-plain,memdev=\(id),id=dev-\(id)"]
            case .vsock:
                continue
            }
        }
        return (args, expected)
    }

    /// Two VMs: each sends to the other's port and receives on its own. More: every VM joins one
    /// multicast group whose port is the link's first port, on the loopback interface.
    static func networkBackend(_ link: SystemLink, id: String, vm: String) -> String? {
        guard let ports = link.ports, ports.count == link.vms.count, let own = link.vms.firstIndex(of: vm) else { return nil }
        if link.vms.count == 2 {
            let peer = ports[1 - own]
            return "dgram,id=\(id),local.type=inet,local.host=127.0.0.1,local.port=\(ports[own]),"
                + "remote.type=inet,remote.host=127.0.0.1,remote.port=\(peer)"
        }
        return "socket,id=\(id),mcast=239.255.77.1:\(ports[0]),localaddr=127.0.0.1"
    }

    /// The backing file of shared-memory link `link`, the same path for every VM of the system.
    public static func sharedMemoryPath(_ directory: String, link: Int) -> String { "\(directory)/shm-link\(link)" }

    /// The file VM `membership` maps for link `link`: the link's one file, or, with the negative
    /// control `separateSharedMemory`, a file of the VM's own (the link then shares nothing).
    static func sharedMemoryPath(_ directory: String, link: Int, membership: SystemMembership) -> String {
        let shared = sharedMemoryPath(directory, link: link)
        return membership.faults.contains(.separateSharedMemory) ? "\(shared)-\(membership.index)" : shared
    }
}
