import AVPSModel
import AgentProtocol
import Dispatch
import Foundation
import HypervisorCore

/// The host's side of the data paths it holds the other end of (`HostDataEnds`, the echo peer):
/// after a probe claims a write or an echo, the runner looks for itself and adds its view as
/// `host_<fact>` beside the guest's `<fact>`, which the scorer compares (`CheckEvaluator.judge`):
///
/// - `block.integrity`: the seeded pattern at its offset in a raw disk image (after the guest's
///   flush; the probe zeroes only the last quarter of its region, `keptBytes`) → `host_verified`;
/// - `pmem.integrity`: the same pattern in a pmem backing file → `host_verified`;
/// - `9p.fileops`: the file the probe left (`keep_file`) on the host's side of the share, byte
///   for byte → `host_data_verified` (the host removes the file);
/// - `net.udp_echo`: the echo peer's own count of the datagrams it received → `host_lost`.
///
/// A host view is added only when the guest reported the fact it stands beside, so a guest
/// cannot avoid the comparison and still have a value judged. The request's own offset, size and
/// seed are used, never the ones the guest echoes back.
struct HostDataCheck: Sendable {
    var ends: HostDataEnds
    /// Name of the file the 9p probe was asked to leave for the host (fresh per target); nil when
    /// it was asked to leave none.
    var keepFile: String?

    private static let queue = DispatchQueue(label: "avps.host-data-check")

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

    /// Bytes of a block.integrity region that stay on the disk: all but the last quarter, which
    /// the probe discards and zeroes (probe_block.c).
    static func keptBytes(_ bytes: Int) -> Int {
        let zeroed = (bytes / 4) & ~4095
        return zeroed == 0 ? 0 : bytes - zeroed
    }

    /// The 9p probe's file contents (probe_9p.c): byte i is i*7+3.
    static let shareFileContents: [UInt8] = (0..<65536).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }

    /// Host facts for `result`; `peerDatagrams` is what the echo peer received during the probe.
    func facts(for request: ProbeRequest, result: ProbeResult, peerDatagrams: Int?) async -> [String: FactValue] {
        guard result.status == .ok else { return [:] }
        switch request.name {
        case "block.integrity" where result.facts["verified"] != nil && !ends.blockImages.isEmpty:
            guard let region = Self.region(request), Self.keptBytes(region.bytes) > 0 else { return [:] }
            return await patternFacts(files: ends.blockImages, noun: "disk image", offset: region.offset,
                                      bytes: Self.keptBytes(region.bytes), seed: region.seed)
        case "pmem.integrity" where result.facts["verified"] != nil && !ends.pmemFiles.isEmpty:
            guard let region = Self.region(request) else { return [:] }
            return await patternFacts(files: ends.pmemFiles, noun: "pmem backing file", offset: region.offset, bytes: region.bytes,
                                      seed: region.seed, clampToFile: true)
        case "9p.fileops" where result.facts["data_verified"] != nil && !ends.shareDirectories.isEmpty:
            guard let keepFile else { return [:] }
            return await shareFacts(keepFile)
        case "net.udp_echo" where result.facts["lost"] != nil:
            guard let peerDatagrams, case .int(let count)? = request.params["count"] else { return [:] }
            let lost = max(0, Int(count) - peerDatagrams)
            var facts: [String: FactValue] = ["host_lost": .int(Int64(lost)), "host_datagrams": .int(Int64(peerDatagrams))]
            if lost > 0 { facts["host_error"] = .string("the host's echo peer received \(peerDatagrams) of the \(count) datagrams") }
            return facts
        default:
            return [:]
        }
    }

    static func region(_ request: ProbeRequest) -> (offset: Int, bytes: Int, seed: UInt64)? {
        guard case .int(let offset)? = request.params["offset"], case .int(let bytes)? = request.params["bytes"],
              case .int(let seed)? = request.params["seed"], offset >= 0, bytes > 0 else { return nil }
        return (Int(offset), Int(bytes), UInt64(bitPattern: seed))
    }

    /// `host_verified`: some file holds `bytes` of the pattern at `offset` (with `clampToFile`, a
    /// region past the end starts at 0 with what fits, as the pmem probe does on a small device).
    private func patternFacts(files: [String], noun: String, offset: Int, bytes: Int, seed: UInt64,
                              clampToFile: Bool = false) async -> [String: FactValue] {
        let found = (try? await BlockingIO.run(on: Self.queue) { _ in
            .success(files.contains { path in
                var (at, count) = (offset, bytes)
                if clampToFile, let size = Self.size(path), at + count > size { (at, count) = (0, min(count, size) & ~4095) }
                return count > 0 && Self.holds(Self.pattern(seed: seed, count: count), at: UInt64(at), in: path)
            })
        }) ?? false
        var facts: [String: FactValue] = ["host_verified": .bool(found), "host_files_checked": .int(Int64(files.count))]
        if !found {
            let names = files.prefix(4).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
            facts["host_error"] = .string("no \(noun) this host holds (\(names)) has the \(bytes)-byte pattern at offset \(offset)")
        }
        return facts
    }

    /// `host_data_verified`: the probe's kept file is in a shared directory with the probe's bytes.
    private func shareFacts(_ name: String) async -> [String: FactValue] {
        let directories = ends.shareDirectories
        let seen = (try? await BlockingIO.run(on: Self.queue) { _ in
            var seen: Data?
            for directory in directories {
                let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                seen = (try? handle.read(upToCount: Self.shareFileContents.count + 1)) ?? Data()
                try? handle.close()
                try? FileManager.default.removeItem(atPath: path)
            }
            return .success(seen)
        }) ?? nil
        let verified = seen.map { $0.elementsEqual(Self.shareFileContents) } ?? false
        var facts: [String: FactValue] = ["host_data_verified": .bool(verified), "host_files_checked": .int(Int64(directories.count))]
        if !verified {
            facts["host_error"] = .string(seen.map { "the file \(name) on the host's side of the share holds \($0.count) bytes that are not the \(Self.shareFileContents.count) the probe wrote" }
                ?? "the file \(name) the probe was asked to leave is in none of the \(directories.count) shared directories on the host")
        }
        return facts
    }

    static func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    private static func holds(_ expected: [UInt8], at offset: UInt64, in path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil,
              let data = try? handle.read(upToCount: expected.count) else { return false }
        return data.elementsEqual(expected)
    }
}
