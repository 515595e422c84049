import AVPSModel
import HypervisorCore

/// Negative controls for systems (`IsolationFaults`, set by tests on the runner, never by a suite):
/// the same command line with one isolation broken for real, so the isolation checks are seen to
/// FAIL against a real platform that leaks.
extension QEMUCommandLine {
    /// Where a backing file or share of `target` really lives: its own workspace, or the system's
    /// shared directory when a fault makes every VM use the first VM's.
    public static func hostPath(_ path: String, target: TargetSpec, paths: Paths) -> String {
        guard let membership = target.membership, let shared = membership.sharedDirectory else { return path }
        let firstDisk = target.devices.firstIndex { $0.blockSizeMiB != nil }.map { diskPath($0, paths) }
        let firstShare = target.devices.firstIndex { $0.kind == "9p" }.map { sharePath($0, paths) }
        if membership.faults.contains(.sharedDisk), path == firstDisk { return "\(shared)/fault-shared-disk.raw" }
        if membership.faults.contains(.sharedShare), path == firstShare { return "\(shared)/fault-shared-share" }
        return path
    }

    static func applyFaults(_ arguments: [String], target: TargetSpec, paths: Paths) -> [String] {
        guard let membership = target.membership, !membership.faults.isEmpty else { return arguments }
        var originals: [String] = []
        for (index, device) in target.devices.enumerated() {
            if device.blockSizeMiB != nil { originals.append(diskPath(index, paths)) }
            if device.kind == "9p" { originals.append(sharePath(index, paths)) }
        }
        return arguments.map { argument in
            var changed = argument
            for original in originals {
                let moved = hostPath(original, target: target, paths: paths)
                if moved != original, changed.contains("=\(original),") {
                    changed = changed.replacingOccurrences(of: "=\(original),", with: "=\(moved),")
                    // Two QEMUs writing one image: QEMU's image lock would refuse the second.
                    if changed.hasPrefix("driver=file,") { changed += ",locking=off" }
                }
            }
            if membership.faults.contains(.severedNetwork), changed.hasPrefix("dgram,"),
               let local = changed.split(separator: ",").first(where: { $0.hasPrefix("local.port=") }),
               let remote = changed.split(separator: ",").first(where: { $0.hasPrefix("remote.port=") }) {
                // Frames go back to this VM's own port: it hears itself, never its sibling.
                changed = changed.replacingOccurrences(of: String(remote), with: "remote.port=" + local.dropFirst("local.port=".count))
            }
            if membership.faults.contains(.severedNetwork), changed.hasPrefix("socket,"), let own = ownMulticastGroup(changed, membership) {
                changed = own  // a group of its own: its frames loop back to it alone
            }
            return changed
        }
    }

    /// A multicast link netdev moved to a group port only this VM uses (its own port of the link).
    private static func ownMulticastGroup(_ netdev: String, _ membership: SystemMembership) -> String? {
        let fields = netdev.split(separator: ",").map(String.init)
        guard let id = fields.first(where: { $0.hasPrefix("id=link") }), let index = Int(id.dropFirst("id=link".count)),
              membership.links.indices.contains(index), let ports = membership.links[index].ports,
              let position = membership.links[index].vms.firstIndex(of: membership.vm), ports.indices.contains(position),
              let group = fields.first(where: { $0.hasPrefix("mcast=") }), let colon = group.lastIndex(of: ":") else { return nil }
        let moved = String(group[..<colon]) + ":\(ports[position])"
        return fields.map { $0 == group ? moved : $0 }.joined(separator: ",")
    }
}
