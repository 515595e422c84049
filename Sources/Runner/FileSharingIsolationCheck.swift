import AVPSModel
import Foundation
import HypervisorCore
import QEMUHypervisor

/// AVPS2-FS-04: the first VM with a 9p share gets a host canary planted just outside its export
/// (plus symlinks in the export that point at it, absolute and `../`); it mounts every share it
/// has, leaves a marker and searches everything reachable for the canary. Every other VM then
/// searches all its shares for that marker. The host reads the marker from the export itself, so
/// a share that was never mounted cannot pass.
struct FileSharingIsolationCheck: SystemCheck {
    let observation = "filesystem_isolation.outside_export_seen"

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let missing = Evidence.notRecordedKey(observation)
        guard let owner = context.members.first(where: { shareIndex($0) != nil }), let index = shareIndex(owner) else {
            return [missing: .string("no VM has a 9p share (add the 9p device to a VM)")]
        }
        let launch = owner.guest.launch
        guard let share = Self.hostDirectory(launch, index: index) else {
            return [missing: .string("the adapter names no host directory behind \(owner.name)'s share (external: host_files.ninep)")]
        }
        let outside = URL(fileURLWithPath: share).deletingLastPathComponent().appendingPathComponent("outside-canary.txt")
        let canary = String(format: "avps-canary-%016llx", context.secret(0, salt: 0xF504))
        let marker = String(format: "avps-marker-%016llx", context.secret(1, salt: 0xF504))
        do {
            try Data(canary.utf8).write(to: outside)
            let fm = FileManager.default
            try? fm.removeItem(atPath: share + "/escape-absolute")
            try? fm.removeItem(atPath: share + "/escape-up")
            try fm.createSymbolicLink(atPath: share + "/escape-absolute", withDestinationPath: outside.path)
            try fm.createSymbolicLink(atPath: share + "/escape-up", withDestinationPath: "../" + outside.lastPathComponent)
        } catch {
            return [missing: .string("the host could not plant the canary next to \(share): \(error)")]
        }
        var facts: [String: FactValue] = [:]
        do {
            let own = try await context.probe(owner, "9p.scan", ["token": .string(canary), "marker": .string(marker)])
            guard own.status == .ok else { return [missing: .string("\(owner.name): \(own.reason ?? own.status.rawValue)")] }
            let landed = (try? String(contentsOfFile: share + "/avps-marker", encoding: .utf8)) == marker
            facts["\(observation).host_marker_in_export"] = .bool(landed)
            guard landed else {
                return [missing: .string("\(owner.name)'s marker never reached its export on the host: the share was not really mounted")]
            }
            let escaped = own.facts["token_found"] == .bool(true)
            facts["\(observation).\(owner.vm)_reaches_outside"] = .bool(escaped)
            if let value = own.facts["found_at"] { facts["\(observation).\(owner.vm)_found_at"] = value }
            if let value = own.facts["entries_scanned"] { facts["\(observation).\(owner.vm)_entries_scanned"] = value }
            var seen = escaped
            for other in context.members where other.name != owner.name {
                let look = try await context.probe(other, "9p.scan", ["token": .string(marker)])
                guard look.status == .ok else { return [missing: .string("\(other.name): \(look.reason ?? look.status.rawValue)")] }
                let found = look.facts["token_found"] == .bool(true)
                facts["\(observation).\(other.vm)_sees_\(owner.vm)_share"] = .bool(found)
                if let tags = look.facts["tags"] { facts["\(observation).\(other.vm)_tags"] = tags }
                seen = seen || found
            }
            facts[observation] = .bool(seen)
        } catch {
            return [missing: .string("the share scan broke: \(error)")]
        }
        return facts
    }

    private func shareIndex(_ member: MemberGuest) -> Int? {
        member.guest.launch.target.devices.firstIndex { $0.kind == "9p" }
    }

    /// The host directory behind the VM's first share: the qemu adapter's (where a negative
    /// control may have moved it), else the one the adapter declared (libvirt, external).
    static func hostDirectory(_ launch: PreparedLaunch, index: Int) -> String? {
        guard launch.target.adapter == "qemu" else { return launch.hostDataEnds.shareDirectories.first }
        let paths = QEMUCommandLine.Paths(qmpSocket: "", agentSocket: "", serialLog: "", workspace: launch.workspace.path)
        return QEMUCommandLine.hostPath(QEMUCommandLine.sharePath(index, paths), target: launch.target, paths: paths)
    }
}
