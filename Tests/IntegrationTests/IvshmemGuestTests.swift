import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Testing

/// Inter-VM shared memory in real TCG guests: QEMU's `ivshmem-plain` on each guest, backed by one
/// shared file (`memory-backend-file,share=on`). A writes a seeded pattern into the first half,
/// B reads it there and writes its own into the second half, A reads B's.
@Suite("inter-VM shared memory (ivshmem)", .guestSlot(minutes: 6), .serialized, .timeLimit(.minutes(20)))
struct IvshmemGuestTests {
    static func ivshmem(_ path: String) -> [String] {
        ["-object", "memory-backend-file,id=avps-shm,mem-path=\(path),size=1M,share=on",
         "-device", "ivshmem-plain,memdev=avps-shm"]
    }

    static func pattern(_ client: AgentClient, write: Int? = nil, read: Int? = nil, writeSeed: Int = 0, readSeed: Int = 0) async throws -> [String: FactValue] {
        var params: [String: FactValue] = ["bytes": .int(256 << 10)]
        if let write { params["write_offset"] = .int(Int64(write)); params["write_seed"] = .int(Int64(writeSeed)) }
        if let read { params["read_offset"] = .int(Int64(read)); params["read_seed"] = .int(Int64(readSeed)) }
        let result = try await client.probe(ProbeRequest(name: "ivshmem.pattern", device: nil, params: params), deadline: .now + .seconds(60))
        #expect(result.status == .ok, "\(result.reason ?? "")")
        return result.facts
    }

    /// Boots two guests with one ivshmem each (one shared backing file, or one per guest) and
    /// exchanges patterns; returns what A and B read.
    static func exchange(_ name: String, separateFiles: Bool) async throws -> (a: [String: FactValue], b: [String: FactValue]) {
        let shared = try Paths.temporaryDirectory(name + "-files")
        let files = separateFiles ? ["a", "b"].map { shared.appendingPathComponent("shm-\($0)").path }
                                  : Array(repeating: shared.appendingPathComponent("shm").path, count: 2)
        let withShm = try await TwoGuests(name, extraArguments: files.map(Self.ivshmem))
        do {
            try await withShm.boot(sharedBackend: false)
            let a = try await withShm.agent(0), b = try await withShm.agent(1)
            let seedA = Int.random(in: 1...1_000_000), seedB = Int.random(in: 1...1_000_000)
            let wroteA = try await pattern(a, write: 0, writeSeed: seedA)
            #expect(wroteA["written"] == .bool(true) && wroteA["bar2_bytes"] == .int(1 << 20), "\(wroteA)")
            #expect(wroteA["pci_address"] != nil && wroteA["doorbell_device"] == .bool(false), "\(wroteA)")
            let readB = try await pattern(b, write: 512 << 10, read: 0, writeSeed: seedB, readSeed: seedA)
            let readA = try await pattern(a, read: 512 << 10, readSeed: seedB)
            try await a.poweroff(deadline: .now + .seconds(30))
            try await b.poweroff(deadline: .now + .seconds(30))
            await withShm.tearDown()
            return (readA, readB)
        } catch {
            await withShm.tearDown()
            throw error
        }
    }

    @Test("one shared backing file: each guest sees the pattern the other wrote")
    func sharedPatternSeen() async throws {
        let (a, b) = try await Self.exchange("it-ivshmem", separateFiles: false)
        #expect(b["pattern_seen"] == .bool(true) && b["mismatched_bytes"] == .int(0), "B read: \(b)")
        #expect(a["pattern_seen"] == .bool(true) && a["mismatched_bytes"] == .int(0), "A read: \(a)")
        #expect(processesMentioning("avps-it-ivshmem").isEmpty)
    }

    @Test("negative control: two separate backing files, so neither guest sees the other's pattern")
    func separateFilesNotSeen() async throws {
        let (a, b) = try await Self.exchange("it-ivshmem-apart", separateFiles: true)
        #expect(b["pattern_seen"] == .bool(false) && (b["mismatched_bytes"]?.number ?? 0) > 0, "B read: \(b)")
        #expect(a["pattern_seen"] == .bool(false), "A read: \(a)")
        #expect(processesMentioning("avps-it-ivshmem-apart").isEmpty)
    }
}
