import AVPSModel
import AgentProtocol

/// Inter-VM shared memory over a system's `shared-memory` links (ivshmem on each VM): the region
/// is cut into one slot per VM; the first VM writes a seeded pattern into slot 0, every other VM
/// reads it there and writes its own into its slot, then the first VM reads each of those. The
/// observation is true only when every read saw its writer's pattern, byte for byte. The seeds
/// derive from the run's seed (a replay writes the same ones; another run, other ones).
struct SharedMemoryLinkCheck: SystemCheck {
    var observation: String { Self.observation }
    static let observation = "shared_memory.pattern_seen"
    /// Most bytes per slot written and compared (the probe's region).
    static let slotBytes: Int64 = 256 << 10

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let key = Self.observation
        let links = context.links(.sharedMemory)
        guard !links.isEmpty else { return [Evidence.notRecordedKey(key): .string("the system declares no shared-memory link")] }
        var facts: [String: FactValue] = [:]
        var seen = true
        for (index, link) in links {
            if let why = context.missing(link) { return [Evidence.notRecordedKey(key): .string("shared-memory link \(index): \(why)")] }
            if let vm = link.vms.first(where: { vm in links.filter { $0.link.vms.contains(vm) }.count > 1 }) {
                return [Evidence.notRecordedKey(key): .string("VM \(vm) is in several shared-memory links; the probe maps its first ivshmem function only")]
            }
            let slot = Int64(link.sizeMiB ?? SystemLink.defaultSharedMemoryMiB) << 20 / Int64(link.vms.count)
            let bytes = min(Self.slotBytes, slot)
            let seeds = link.vms.indices.map { Int64(bitPattern: context.secret($0, salt: 0x5_4a7e_d000 + UInt64(index))) }
            let prefix = "\(key).link\(index)"
            do {
                var reads: [(reader: String, writer: String, facts: [String: FactValue])] = []
                try await pattern(context, link.vms[0], ["write_offset": .int(0), "write_seed": .int(seeds[0]), "bytes": .int(bytes)])
                for (position, vm) in link.vms.enumerated().dropFirst() {
                    let facts = try await pattern(context, vm, [
                        "write_offset": .int(Int64(position) * slot), "write_seed": .int(seeds[position]),
                        "read_offset": .int(0), "read_seed": .int(seeds[0]), "bytes": .int(bytes)])
                    reads.append((vm, link.vms[0], facts))
                }
                for (position, vm) in link.vms.enumerated().dropFirst() {
                    let facts = try await pattern(context, link.vms[0], [
                        "read_offset": .int(Int64(position) * slot), "read_seed": .int(seeds[position]), "bytes": .int(bytes)])
                    reads.append((link.vms[0], vm, facts))
                }
                for read in reads {
                    for fact in ["pattern_seen", "mismatched_bytes", "fault", "ivshmem_count", "bar2_bytes"] {
                        if let value = read.facts[fact] { facts["\(prefix).\(read.reader)_reads_\(read.writer).\(fact)"] = value }
                    }
                    seen = seen && read.facts["pattern_seen"] == .bool(true)
                }
                facts["\(prefix).bytes_per_slot"] = .int(bytes)
            } catch let failure as LinkProbeFailure {
                return [Evidence.notRecordedKey(key): .string("shared-memory link \(index): \(failure.why)")]
            } catch {
                return [Evidence.notRecordedKey(key): .string("shared-memory link \(index): \(error)")]
            }
        }
        facts[key] = .bool(seen)
        return facts
    }

    /// One `ivshmem.pattern` step on VM `vm`; a probe that could not run is a `LinkProbeFailure`.
    @discardableResult
    private func pattern(_ context: SystemCheckContext, _ vm: String, _ params: [String: FactValue]) async throws -> [String: FactValue] {
        guard let member = context.member(vm) else { throw LinkProbeFailure(why: "VM \(vm) is not up") }
        let result = try await context.probe(member, "ivshmem.pattern", params)
        guard result.status == .ok else { throw LinkProbeFailure(why: "ivshmem.pattern on \(vm): \(result.reason ?? result.status.rawValue)") }
        return result.facts
    }
}

/// A link probe that could not measure (the observation is then not recorded, with this reason).
struct LinkProbeFailure: Error {
    var why: String
}
