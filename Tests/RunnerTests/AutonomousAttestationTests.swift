import AVPSModel
import Foundation
import Runner
import Testing

/// Offline scoring with attestations: the recorded console log of an autonomous run
/// (Tests/IntegrationTests/Recorded, the default target's devices plus a legacy-only disk) scored
/// with this target's attestations, as `avps score` passes them after verifying the files.
struct AutonomousAttestationTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// The recorded suite's target (the plan the log was made from depends on its devices).
    static let target = TargetSpec(name: "qemu-q35-reference", adapter: "qemu", machine: "q35", memoryMiB: 256, cpus: 1,
                                   accelerator: "tcg", devices: [.block(sizeMiB: 64), .net, .entropy, .console, .balloon,
                                                                 .watchdog(), .legacy(.block(sizeMiB: 16))])

    static func attestation(_ statement: String) -> Attestation {
        Attestation(statement: statement, evidence: "test", owner: "avps tests", vendor: "avps tests",
                    date: CalendarDay(year: 2026, month: 12, day: 1), expires: CalendarDay(year: 2099, month: 12, day: 31),
                    file: "attestations/test.yaml", sha256: String(repeating: "a", count: 64), signer: String(repeating: "b", count: 64))
    }

    @Test("UNTESTED and SKIPPED rows become ATTESTED; a measured FAIL and a measured PASS stay")
    func attestationsDecideOnlyWhatTheLogLeftOpen() async throws {
        let log = try String(contentsOf: Self.root.appendingPathComponent("Tests/IntegrationTests/Recorded/autonomous-q35.console.log"),
                             encoding: .utf8)
        let profile = try LoadedProfile.load(Self.root.appendingPathComponent("Profiles/avps-2.0.yaml"))
        let plain = try #require(await AutonomousScoring.score(log: log, target: Self.target, profiles: [profile]).first)
        let before = Dictionary(uniqueKeysWithValues: plain.results.map { ($0.key, $0.verdict) })
        #expect(plain.infraError == nil)
        // What the recorded evidence decides by itself (so the checks below cannot pass by default).
        #expect(before["AVPS2-EMU-01"] == .untested && before["AVPS2-SELF-01"] == .skipped)
        #expect(before["AVPS2-GEN-04"] == .fail && before["AVPS2-GEN-05"] == .pass)

        let keys = ["AVPS2-EMU-01", "AVPS2-SELF-01", "AVPS2-GEN-04", "AVPS2-GEN-05"]
        let index = Dictionary(uniqueKeysWithValues: keys.map { ($0, Self.attestation("statement for \($0)")) })
        let scored = try #require(await AutonomousScoring.score(log: log, target: Self.target, profiles: [profile],
                                                                attestations: index).first)
        let after = Dictionary(uniqueKeysWithValues: scored.results.map { ($0.key, $0) })
        #expect(after["AVPS2-EMU-01"]?.verdict == .attested && after["AVPS2-EMU-01"]?.attestation?.file == "attestations/test.yaml")
        #expect(after["AVPS2-SELF-01"]?.verdict == .attested, "SKIPPED (no host attached) is open to an attestation")
        #expect(after["AVPS2-GEN-04"]?.verdict == .fail && after["AVPS2-GEN-04"]?.attestation == nil, "a measured FAIL stays FAIL")
        #expect(after["AVPS2-GEN-05"]?.verdict == .pass && after["AVPS2-GEN-05"]?.attestation == nil)
        let changed = scored.results.filter { before[$0.key] != $0.verdict }.map(\.key)
        #expect(Set(changed) == ["AVPS2-EMU-01", "AVPS2-SELF-01"], "\(changed)")
    }
}
