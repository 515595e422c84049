import AVPSModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Host UDP ports for a system's network links on one host (QEMU's `dgram` netdev between
/// 127.0.0.1 ports): chosen just before the launch, one per VM of each link, and written into
/// every VM's membership so its adapter wires the same numbers.
enum LinkPorts {
    /// - Parameter sharedDirectory: where shared-memory links keep their backing files.
    static func assign(_ system: TargetSpec, sharedDirectory: String? = nil) -> TargetSpec {
        var system = system
        for index in system.links.indices where system.links[index].kind == .network && system.links[index].ports == nil {
            system.links[index].ports = system.links[index].vms.map { _ in freeUDPPort() }
        }
        for index in system.vms.indices {
            system.vms[index].membership?.links = system.links
            system.vms[index].membership?.sharedDirectory = sharedDirectory
        }
        return system
    }

    /// A port the kernel just handed out for 127.0.0.1 (bound, read, released). Another process
    /// could take it before QEMU binds it; QEMU then fails to start and the VM is INFRA, named.
    static func freeUDPPort() -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : 0
    }
}
