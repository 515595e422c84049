import AVPSModel
import AgentProtocol
import Dispatch
import Foundation

/// Host end of the `pmem.integrity` probe: after the guest wrote, flushed and read back its
/// pattern, the runner looks for the same bytes in the backing file of a virtio-pmem device
/// (QEMU maps the file shared, so the guest's stores land in it). A device that verified in the
/// guest but never reached its backing store is caught here, not believed.
enum PmemBackingCheck {
    /// The agent's storage pattern (storage.c): xorshift64* words, little-endian, seed 0 means 1.
    static func pattern(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed == 0 ? 1 : seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            withUnsafeBytes(of: (state &* 0x2545_F491_4F6C_DD1D).littleEndian) { bytes += $0 }
        }
        return Array(bytes.prefix(count))
    }

    private static let queue = DispatchQueue(label: "avps.pmem-backing-check")

    /// Facts to merge into the probe's: `host_pattern_ok` (some backing file holds the pattern
    /// at the probe's offset) and `host_backing_files` (how many were looked at). Nothing when
    /// the probe did not write.
    static func facts(for result: ProbeResult, backingFiles: [String]) async -> [String: FactValue] {
        guard result.status == .ok, case .int(let offset)? = result.facts["offset"], case .int(let bytes)? = result.facts["bytes"],
              case .int(let seed)? = result.facts["seed"], bytes > 0, !backingFiles.isEmpty else { return [:] }
        let expected = pattern(seed: UInt64(bitPattern: seed), count: Int(bytes))
        let found = (try? await BlockingIO.run(on: queue) { _ in
            .success(backingFiles.contains { holds(expected, at: UInt64(offset), in: $0) })
        }) ?? false
        return ["host_pattern_ok": .bool(found), "host_backing_files": .int(Int64(backingFiles.count))]
    }

    private static func holds(_ expected: [UInt8], at offset: UInt64, in path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil,
              let data = try? handle.read(upToCount: expected.count) else { return false }
        return data.elementsEqual(expected)
    }
}
