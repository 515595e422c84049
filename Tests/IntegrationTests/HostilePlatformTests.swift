import Foundation
import Testing

/// `avps run` against platforms that misbehave on purpose (a fake hypervisor and a fake agent
/// speaking the real protocol, no VM): whatever the platform sends, one target's run stays under
/// `rssBound`, ends in bounded time with INFRA, leaves no process behind and writes valid results.
@Suite("Hostile platforms through the external adapter", .guestSlot(minutes: 10), .serialized, .timeLimit(.minutes(20)))
struct HostilePlatformTests {
    /// Peak RSS allowed for a run of one target, whatever the platform sends.
    static let rssBound = 256 * 1024  // KiB

    static func expectContained(_ run: HostilePlatform.Measured, _ scenario: String, status: Int32 = 3,
                                wall: Duration = .seconds(120)) throws {
        defer { HostilePlatform.killLeftovers(run.leftovers) }
        #expect(run.status == status, "\(scenario): exit \(run.status)\n\(run.stderr.suffix(2000))")
        #expect(run.wall < wall, "\(scenario): took \(run.wall)")
        #expect(run.peakKiB > 0 && run.peakKiB < rssBound, "\(scenario): peak RSS \(run.peakKiB) KiB")
        #expect(run.leftovers.isEmpty, "\(scenario): processes left: \(run.leftovers)")
        #expect(!run.stderr.contains("\u{1B}[2J") && !run.stderr.contains("\u{202E}"), "\(scenario): raw control on the terminal")
        let results = run.runDirectory.appendingPathComponent("results.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: results)) as? [String: Any]
        #expect(object?["targets"] != nil, "\(scenario): results.json has no targets")
        let size = try FileManager.default.attributesOfItem(atPath: results.path)[.size] as? Int ?? 0
        #expect(size < 4 << 20, "\(scenario): results.json is \(size) bytes")
    }

    @Test("an agent that floods endless 64 KiB frames that answer nothing: INFRA 'agent flooded', bounded memory")
    func flood() async throws {
        let run = try await HostilePlatform(scenario: "flood").run()
        try Self.expectContained(run, "flood")
        let results = try String(contentsOf: run.runDirectory.appendingPathComponent("results.json"), encoding: .utf8)
        #expect(results.contains("agent flooded"))
        let transcript = run.runDirectory.appendingPathComponent("hostile/agent-transcript.jsonl")
        let size = try FileManager.default.attributesOfItem(atPath: transcript.path)[.size] as? Int ?? 0
        #expect(size < 16 << 20, "transcript of \(size) bytes")
    }

    @Test("a hypervisor that writes 64 MiB of stderr in one line and dies: INFRA with a short stderr tail, promptly")
    func stderrFlood() async throws {
        let run = try await HostilePlatform(scenario: "stderr-flood").run()
        try Self.expectContained(run, "stderr-flood", wall: .seconds(60))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: run.runDirectory.appendingPathComponent("results.json")))
        let infra = ((object as? [String: Any])?["targets"] as? [[String: Any]])?.first?["infra_error"] as? String ?? ""
        #expect(infra.contains("start command exited") && infra.contains("xxxx"), "\(infra.prefix(500))")
        #expect(infra.count < 1000, "INFRA message of \(infra.count) characters")
    }

    @Test("a sparse 4 GiB serial log and no ready event: the log is tailed, never loaded, and the artifact capped")
    func sparseSerialLog() async throws {
        let run = try await HostilePlatform(scenario: "serial-sparse", extraArguments: ["--boot-timeout", "10"]).run()
        try Self.expectContained(run, "serial-sparse")
        let serial = run.runDirectory.appendingPathComponent("hostile/serial.log")
        let size = try FileManager.default.attributesOfItem(atPath: serial.path)[.size] as? Int ?? 0
        #expect(size < 16 << 20, "serial.log artifact of \(size) bytes")
        let results = try String(contentsOf: run.runDirectory.appendingPathComponent("results.json"), encoding: .utf8)
        #expect(results.contains("still booting"), "the serial tail is in the INFRA message")
    }

    @Test("a 1 MB error message from the agent for every probe is capped, not copied into every result")
    func bigError() async throws {
        let run = try await HostilePlatform(scenario: "big-error").run()
        defer { HostilePlatform.killLeftovers(run.leftovers) }
        #expect(run.peakKiB < Self.rssBound, "peak RSS \(run.peakKiB) KiB")
        #expect(run.leftovers.isEmpty)
        var total = 0
        for case let url as URL in FileManager.default.enumerator(at: run.runDirectory, includingPropertiesForKeys: nil) ?? .init() {
            total += (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        }
        #expect(total < 8 << 20, "reports of \(total) bytes")
    }

    @Test("a lying agent with no VM behind it (status 0x10F, answers to other probes, forged host facts) cannot pass")
    func liar() async throws {
        let run = try await HostilePlatform(scenario: "liar").run()
        try Self.expectContained(run, "liar")
        let results = try String(contentsOf: run.runDirectory.appendingPathComponent("results.json"), encoding: .utf8)
        #expect(results.contains("status 0x10f is outside the 8-bit device status register"))
    }

    /// A fake agent that claims every write and echo went through; the honest one also did the
    /// work at the host's end (pattern in the image, file in the share, datagrams to the peer).
    static func dataPaths(_ scenario: String) async throws -> [String: (verdict: String, reason: String, basis: String?)] {
        var platform = HostilePlatform(scenario: scenario)
        platform.devices = "[{block: {size_mib: 16, scratch: true}}, net, 9p, {pmem: {size_mib: 16}}]"
        platform.hostFiles = #"{block: ["{workspace}/disk0.raw"], 9p: ["{workspace}/share0"], pmem: ["{workspace}/pmem0.img"]}"#
        let run = try await platform.run()
        defer { HostilePlatform.killLeftovers(run.leftovers) }
        #expect(run.leftovers.isEmpty)
        let data = try Data(contentsOf: run.runDirectory.appendingPathComponent("results.json"))
        let target = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["targets"] as? [[String: Any]])?.first
        #expect(target?["infra_error"] == nil, "\(target?["infra_error"] ?? "")")
        var rows: [String: (verdict: String, reason: String, basis: String?)] = [:]
        for row in target?["results"] as? [[String: Any]] ?? [] {
            guard let key = row["key"] as? String else { continue }
            rows[key] = (row["verdict"] as? String ?? "", row["reason"] as? String ?? "", row["basis"] as? String)
        }
        return rows
    }

    static let dataRows = ["AVPS2-STOR-05": "host_verified", "AVPS2-NET-05": "host_lost", "AVPS2-FS-03": "host_data_verified",
                           "AVPS2-PMEM-04": "host_verified"]

    // negative-control: AVPS2-STOR-05, AVPS2-NET-05, AVPS2-FS-03, AVPS2-PMEM-04 -- a fake agent claims writes and echoes that never happened
    @Test("a fake agent that claims writes and echoes the host never saw: each data row FAILs naming both sides")
    func dataPathLiar() async throws {
        let rows = try await Self.dataPaths("data-liar")
        for (key, view) in Self.dataRows {
            let row = rows[key]
            #expect(row?.verdict == "FAIL" && row?.basis == "host-corroborated", "\(key): \(row.map { "\($0)" } ?? "absent")")
            #expect(row?.reason.contains("as the guest claimed, but the host saw \(view) = ") == true,
                    "\(key): \(row?.reason ?? "")")
        }
    }

    @Test("the same claims from a fake that did the work at the host's end: the data rows PASS, host-corroborated")
    func dataPathHonest() async throws {
        let rows = try await Self.dataPaths("data-honest")
        for key in Self.dataRows.keys {
            let row = rows[key]
            #expect(row?.verdict == "PASS" && row?.basis == "host-corroborated", "\(key): \(row.map { "\($0)" } ?? "absent")")
        }
    }

    @Test("a device the agent claims but the target does not declare makes its requirements ERROR, naming the declaration")
    func undeclaredClaim() async throws {
        let run = try await HostilePlatform(scenario: "claims").run()
        defer { HostilePlatform.killLeftovers(run.leftovers) }
        #expect(run.leftovers.isEmpty)
        let data = try Data(contentsOf: run.runDirectory.appendingPathComponent("results.json"))
        let target = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["targets"] as? [[String: Any]])?.first
        let results = target?["results"] as? [[String: Any]] ?? []
        let errors = results.filter { ($0["verdict"] as? String) == "ERROR" && (($0["reason"] as? String) ?? "").contains("does not declare") }
        #expect(!errors.isEmpty, "no ERROR for the undeclared block device")
        #expect(errors.allSatisfy { (($0["reason"] as? String) ?? "").contains("block device (virtio1)") })
        #expect(!results.contains { ($0["verdict"] as? String) == "PASS" && (($0["key"] as? String) ?? "").contains("STOR") },
                "a storage requirement passed on an undeclared disk")
    }

    @Test("a hypervisor that dies mid-run: INFRA names its exit and its stderr tail (sanitized, repeats once), not the closed socket")
    func diesMidRun() async throws {
        let run = try await HostilePlatform(scenario: "dies").run()
        try Self.expectContained(run, "dies")
        let data = try Data(contentsOf: run.runDirectory.appendingPathComponent("results.json"))
        let target = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["targets"] as? [[String: Any]])?.first
        let infra = target?["infra_error"] as? String ?? ""
        #expect(infra.contains("start command exited with status 1"), "\(infra)")
        #expect(infra.contains("warning: noise (×3)") && infra.contains("fatal: device exploded"), "\(infra)")
        #expect(infra.contains("\u{FFFD}"), "the invalid byte is shown")
        #expect(!infra.contains("\u{1B}") && !infra.contains("\u{202E}"), "\(infra)")
        #expect(!infra.contains("connection closed"), "\(infra)")
    }
}
