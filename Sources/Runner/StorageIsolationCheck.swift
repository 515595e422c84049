import AVPSModel
import Foundation

/// AVPS2-STOR-09: each of the first two VMs with a disk writes its own seeded secret to its own
/// disk (block.integrity, 1 MiB at 1 MiB and 3 MiB: apart, so a disk the platform wrongly shares
/// keeps both), then every VM scans every block device it can read
/// (block.scan) for the other's secret. The writer's own scan must find its secret (else the scan
/// cannot see secrets and proves nothing: not recorded); a sibling's scan must not.
struct StorageIsolationCheck: SystemCheck {
    let observation = "storage_isolation.secret_found"

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let missing = Evidence.notRecordedKey(observation)
        let writers = context.members.compactMap { member in disk(member).map { (member, $0) } }.prefix(2)
        guard writers.count == 2 else {
            return [missing: .string("fewer than two VMs have a virtio disk (each VM needs a block device)")]
        }
        var facts: [String: FactValue] = [:]
        var leaked = false
        do {
            var secrets: [UInt64] = []
            for (index, (member, device)) in writers.enumerated() {
                let secret = context.secret(index, salt: 0x5709)
                secrets.append(secret)
                let written = try await context.probe(member, "block.integrity", device: device, [
                    "allow_write": .bool(true), "keep": .bool(true), "offset": .int(Int64(1 + 2 * index) << 20), "bytes": .int(1 << 20), "seed": .int(Int64(secret))])
                guard written.status == .ok, written.facts["verified"] == .bool(true) else {
                    return [missing: .string("\(member.name) could not write its secret: \(written.reason ?? written.facts["fault"]?.description ?? "not verified")")]
                }
            }
            for (index, (writer, _)) in writers.enumerated() {
                let own = try await scan(context, writer, secret: secrets[index])
                guard own.found else {
                    return [missing: .string("\(writer.name)'s scan did not find the secret on its own disk, so a scan proves nothing here")]
                }
                for other in context.members where other.name != writer.name {
                    let seen = try await scan(context, other, secret: secrets[index])
                    facts["\(observation).\(other.vm)_reads_\(writer.vm)"] = .bool(seen.found)
                    facts["\(observation).\(other.vm)_scanned_bytes"] = .int(seen.bytes)
                    if seen.found {
                        leaked = true
                        facts["\(observation).\(other.vm)_found_on"] = .string(seen.device)
                    }
                }
            }
        } catch {
            return [missing: .string("the storage scan broke: \(error)")]
        }
        facts[observation] = .bool(leaked)
        return facts
    }

    private func scan(_ context: SystemCheckContext, _ member: MemberGuest, secret: UInt64) async throws
        -> (found: Bool, bytes: Int64, device: String) {
        let result = try await context.probe(member, "block.scan", ["seed": .int(Int64(secret))], extra: .seconds(25))
        guard result.status == .ok else { throw ScanError(text: "\(member.name): \(result.reason ?? result.status.rawValue)") }
        var bytes: Int64 = 0
        if case .int(let value)? = result.facts["bytes_scanned"] { bytes = value }
        var device = ""
        if case .string(let value)? = result.facts["found_on"] { device = value }
        return (result.facts["secret_found"] == .bool(true), bytes, device)
    }

    /// The VM's first virtio disk with a driver bound (its own scratch disk).
    private func disk(_ member: MemberGuest) -> String? {
        member.devices.first { $0.deviceID == 2 && $0.driver != nil }?.name
    }
}

struct ScanError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}
