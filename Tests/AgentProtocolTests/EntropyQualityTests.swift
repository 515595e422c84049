import AVPSModel
import AVPSProfiles
import Foundation
import Scoring
import Testing

/// The entropy quality rows of `avps-2.0.yaml` (AVPS2-RNG-03..07) applied to the agent's own
/// statistics (the real C code, fed through its test-only `path` parameter): a true random source
/// (/dev/urandom) passes every one of them thousands of times, as the false-alarm rates stated in
/// the rows promise, and broken sources fail the row that owns their flaw.
@Suite("entropy quality thresholds")
struct EntropyQualityTests {
    static let rows = ["AVPS2-RNG-03", "AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06", "AVPS2-RNG-07"]

    /// One agent session answering `count` entropy.rate probes on `path`, each its own sample.
    static func samples(path: String, bytes: Int, count: Int) throws -> [ProbeResult] {
        let request = #"{"id":1,"method":"probe","params":{"name":"entropy.rate","device":"virtio0","params":{"bytes":\#(bytes),"max_seconds":1,"path":"\#(path)"}}}"#
        let input = Data(String(repeating: request + "\n", count: count).utf8)
        let run = try AgentHarness.run(input, timeout: 240)
        struct Response: Decodable { var result: ProbeResult }
        let results = try run.frames.dropFirst().map { try JSONDecoder().decode(Response.self, from: $0).result }
        #expect(results.count == count, "\(run.stderr.suffix(500))")
        return results
    }

    /// Verdict of each quality row per sample, scored exactly as a run would.
    static func verdicts(_ probe: ProbeResult) throws -> [String: Verdict] {
        let profile = try ProfileLoader.load(contentsOf: AgentHarness.packageRoot.appendingPathComponent("Profiles/avps-2.0.yaml"))
        let results = Scorer.score(profile, evidence: evidence(probe))
        return Dictionary(uniqueKeysWithValues: results.filter { rows.contains($0.key) }.map { ($0.key, $0.verdict) })
    }

    @Test("/dev/urandom passes every quality row in 2000 samples (false alarms stated at ~2e-6 per sample)")
    func urandomNeverTrips() throws {
        // 1500 samples of the size a run requests and 500 of the smallest size judged.
        var alarms: [String] = []
        for (bytes, count) in [(16384, 1500), (4096, 500)] {
            let profile = try ProfileLoader.load(contentsOf: AgentHarness.packageRoot.appendingPathComponent("Profiles/avps-2.0.yaml"))
            for probe in try Self.samples(path: "/dev/urandom", bytes: bytes, count: count) {
                #expect(probe.facts["quality_sample_bytes"] == .int(Int64(bytes)), "\(probe)")
                let scored = Scorer.score(profile, evidence: Self.evidence(probe))
                for result in scored where Self.rows.contains(result.key) && result.verdict != .pass {
                    alarms.append("\(result.key) \(result.verdict): \(result.reason)")
                }
            }
        }
        #expect(alarms.isEmpty, "\(alarms.count) false alarms: \(alarms.prefix(5))")
    }

    @Test("a constant source fails every quality row and the delivery row still passes")
    func constantSourceFails() throws {
        let probe = try #require(try Self.samples(path: "/dev/zero", bytes: 16384, count: 1).first)
        let verdicts = try Self.verdicts(probe)
        #expect(verdicts["AVPS2-RNG-03"] == .pass)  // bytes arrived: delivery is not the fault
        for key in ["AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06"] {
            #expect(verdicts[key] == .fail, "\(key): \(verdicts)")
        }
    }

    // negative-control: AVPS2-RNG-07 -- agent statistics on a counter file (unit level: QEMU has no counter rng backend)
    @Test("evenly spread but regular bytes (a counter) fail only the too-regular row")
    func counterFailsRegularity() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("avps-counter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((0..<16384).map { UInt8($0 & 0xff) }).write(to: file)
        let probe = try #require(try Self.samples(path: file.path, bytes: 16384, count: 1).first)
        let verdicts = try Self.verdicts(probe)
        #expect(verdicts["AVPS2-RNG-07"] == .fail, "\(verdicts)")
        for key in ["AVPS2-RNG-03", "AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06"] {
            #expect(verdicts[key] == .pass, "\(key): \(verdicts)")
        }
    }

    @Test("too few bytes to judge: quality rows SKIPPED with the reason, never PASS or FAIL")
    func tooFewBytesAreSkipped() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("avps-short-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((0..<2000).map { _ in UInt8.random(in: 0...255) }).write(to: file)
        let probe = try #require(try Self.samples(path: file.path, bytes: 16384, count: 1).first)
        let profile = try ProfileLoader.load(contentsOf: AgentHarness.packageRoot.appendingPathComponent("Profiles/avps-2.0.yaml"))
        let scored = Scorer.score(profile, evidence: Self.evidence(probe))
        for result in scored where ["AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06", "AVPS2-RNG-07"].contains(result.key) {
            #expect(result.verdict == .skipped && result.reason.contains("too few"), "\(result.key): \(result.reason)")
        }
    }

    static func evidence(_ probe: ProbeResult) -> Evidence {
        let device = VirtioDeviceRecord(name: "virtio0", deviceID: 4, vendorID: 0x1af4, transport: .pci,
                                        negotiatedFeatures: FeatureBits([32]), status: 15, driver: "virtio_rng")
        return Evidence(guest: GuestIdentity(agentVersion: "0.1.0", protocolVersion: 1, kernelRelease: "t", machine: "x86_64"),
                        devices: [device], probes: [probe])
    }
}
