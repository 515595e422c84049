import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import Testing
@testable import Runner

/// The host's own look at the data paths it holds: each probe's host view is computed from the
/// request (never from what the guest echoes back) and from the file, directory or peer count.
@Suite("host-side data path checks")
struct HostDataCheckTests {
    /// Values computed independently from the agent's C (storage.c) with Python.
    @Test func storagePatternIsTheAgents() {
        #expect(HostDataCheck.pattern(seed: 1, count: 10) == [29, 221, 108, 137, 75, 206, 228, 71, 29, 101])
        #expect(HostDataCheck.pattern(seed: 0, count: 10) == HostDataCheck.pattern(seed: 1, count: 10))
        #expect(HostDataCheck.pattern(seed: 0x5eed_9e11, count: 4) == [77, 100, 14, 27])
        #expect(HostDataCheck.keptBytes(4 << 20) == 3 << 20)
        #expect(HostDataCheck.keptBytes(4096) == 0, "a region too small to split is zeroed whole: nothing to find")
    }

    func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-hostcheck-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func request(_ name: String, offset: Int64 = 4096, bytes: Int64 = 16384, seed: Int64 = 7) -> ProbeRequest {
        ProbeRequest(name: name, device: "virtio2", params: ["offset": .int(offset), "bytes": .int(bytes), "seed": .int(seed)])
    }

    func claimed(_ name: String, _ facts: [String: FactValue]) -> ProbeResult {
        ProbeResult(name: name, device: "virtio2", status: .ok, facts: facts)
    }

    @Test func blockPatternIsLookedForAtTheRequestedOffsetInEveryImage() async throws {
        let directory = try scratch("block")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = directory.appendingPathComponent("disk1.raw"), other = directory.appendingPathComponent("disk0.raw")
        var bytes = [UInt8](repeating: 0, count: 32768)
        // The probe keeps the first three quarters of its region: 12 KiB of 16 KiB.
        bytes.replaceSubrange(4096..<(4096 + 12288), with: HostDataCheck.pattern(seed: 7, count: 12288))
        try Data(bytes).write(to: written)
        try Data(count: 32768).write(to: other)
        let check = HostDataCheck(ends: HostDataEnds(blockImages: [other.path, written.path]), keepFile: "k")
        let guestSaysYes = claimed("block.integrity", ["verified": .bool(true), "offset": .int(0), "seed": .int(1)])
        let found = await check.facts(for: request("block.integrity"), result: guestSaysYes, peerDatagrams: nil)
        #expect(found["host_verified"] == .bool(true) && found["host_files_checked"] == .int(2), "\(found)")
        // Another seed (another disk's pattern) or another offset is not this write.
        let wrongSeed = await check.facts(for: request("block.integrity", seed: 8), result: guestSaysYes, peerDatagrams: nil)
        #expect(wrongSeed["host_verified"] == .bool(false))
        if case .string(let why)? = wrongSeed["host_error"] {
            #expect(why.contains("12288-byte pattern at offset 4096") && why.contains("disk0.raw"), "\(why)")
        } else {
            Issue.record("no host_error: \(wrongSeed)")
        }
        let wrongOffset = await check.facts(for: request("block.integrity", offset: 0), result: guestSaysYes, peerDatagrams: nil)
        #expect(wrongOffset["host_verified"] == .bool(false))
        // Nothing to compare with: no image held, or the guest reported no verdict of its own.
        #expect(await HostDataCheck(ends: HostDataEnds(), keepFile: "k").facts(for: request("block.integrity"), result: guestSaysYes, peerDatagrams: nil).isEmpty)
        #expect(await check.facts(for: request("block.integrity"), result: claimed("block.integrity", ["fault": .string("EIO")]), peerDatagrams: nil).isEmpty)
    }

    @Test func pmemRegionPastTheFileStartsAtZeroAsTheProbeDoes() async throws {
        let directory = try scratch("pmem")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pmem0.img")
        var bytes = [UInt8](repeating: 0, count: 8192)
        bytes.replaceSubrange(0..<8192, with: HostDataCheck.pattern(seed: 7, count: 8192))
        try Data(bytes).write(to: file)
        let check = HostDataCheck(ends: HostDataEnds(pmemFiles: [file.path]), keepFile: "k")
        let result = claimed("pmem.integrity", ["verified": .bool(true)])
        let facts = await check.facts(for: request("pmem.integrity", offset: 4096, bytes: 16384), result: result, peerDatagrams: nil)
        #expect(facts["host_verified"] == .bool(true), "\(facts)")
        let missing = HostDataCheck(ends: HostDataEnds(pmemFiles: ["/nonexistent/pmem0.img"]), keepFile: "k")
        #expect(await missing.facts(for: request("pmem.integrity"), result: result, peerDatagrams: nil)["host_verified"] == .bool(false))
    }

    @Test func shareFileIsReadOnTheHostAndRemoved() async throws {
        let first = try scratch("share0"), second = try scratch("share1")
        defer { for url in [first, second] { try? FileManager.default.removeItem(at: url) } }
        let check = HostDataCheck(ends: HostDataEnds(shareDirectories: [first.path, second.path]), keepFile: "avps-host-check-1")
        let result = claimed("9p.fileops", ["data_verified": .bool(true)])
        let request = ProbeRequest(name: "9p.fileops", device: "virtio2", params: ["keep_file": .string("avps-host-check-1")])
        let none = await check.facts(for: request, result: result, peerDatagrams: nil)
        #expect(none["host_data_verified"] == .bool(false))
        #expect(none["host_error"].map { "\($0)".contains("in none of the 2 shared directories") } == true, "\(none)")
        let kept = second.appendingPathComponent("avps-host-check-1")
        try Data(HostDataCheck.shareFileContents).write(to: kept)
        #expect(await check.facts(for: request, result: result, peerDatagrams: nil)["host_data_verified"] == .bool(true))
        #expect(!FileManager.default.fileExists(atPath: kept.path), "the host removes the file it checked")
        try Data(HostDataCheck.shareFileContents.dropLast()).write(to: kept)
        #expect(await check.facts(for: request, result: result, peerDatagrams: nil)["host_data_verified"] == .bool(false))
    }

    @Test func echoLossIsTheRequestedCountLessWhatThePeerReceived() async {
        let check = HostDataCheck(ends: HostDataEnds(), keepFile: "k")
        let request = ProbeRequest(name: "net.udp_echo", device: "virtio0", params: ["count": .int(20)])
        let result = claimed("net.udp_echo", ["lost": .int(0), "sent": .int(20), "received": .int(20)])
        let none = await check.facts(for: request, result: result, peerDatagrams: 0)
        #expect(none["host_lost"] == .int(20) && none["host_datagrams"] == .int(0))
        #expect(none["host_error"] == .string("the host's echo peer received 0 of the 20 datagrams"))
        let all = await check.facts(for: request, result: result, peerDatagrams: 21)
        #expect(all["host_lost"] == .int(0) && all["host_error"] == nil)
        #expect(await check.facts(for: request, result: result, peerDatagrams: nil).isEmpty, "no peer ran: no host view")
    }
}
