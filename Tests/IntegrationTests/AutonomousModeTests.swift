import AVPSModel
import AgentProtocol
import Foundation
import GuestImage
import Runner
import Testing

/// Autonomous mode (PROTOCOL.md 8) in a real TCG guest: one boot runs the plan with no host (the
/// evidence goes to the serial console) and then serves an attached run as usual, so the offline
/// score of the console log and the attached verdicts come from the same guest and device set.
@Suite("Autonomous agent: evidence on the console, scored offline", .guestSlot(minutes: 4), .timeLimit(.minutes(20)))
struct AutonomousModeTests {
    /// The negative controls' healthy platform, booted with the plan appended to the initramfs.
    static func target(directory: URL, initrd: URL) -> TargetSpec {
        var target = NegativeControlTests.target("it-autonomous", NegativeControlTests.Platform(), directory: directory)
        target.kernelAppend = ["avps.autonomous"]
        if var external = target.external {
            external.start = external.start.map { $0 == "{initrd}" ? initrd.path : $0 }
            target.external = external
        }
        return target
    }

    static func profiles() throws -> [LoadedProfile] {
        try ["avps-2.0", "automotive-extras"].map { try LoadedProfile.load(Paths.root.appendingPathComponent("Profiles/\($0).yaml")) }
    }

    @Test("the offline score equals the attached run for every guest-side requirement; host-only rows are SKIPPED, never PASS")
    func offlineScoreMatchesAttachedRun() async throws {
        let directory = try Paths.temporaryDirectory("it-autonomous")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("share"), withIntermediateDirectories: true)
        for disk in ["disk0.img", "disk1.img"] {
            let handle = try FileHandle(forWritingTo: {
                let url = directory.appendingPathComponent(disk)
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                return url
            }())
            try handle.truncate(atOffset: 16 << 20)
            try handle.close()
        }
        let guest = try await ReferenceGuestFixture.shared.guest()
        let placeholder = Self.target(directory: directory, initrd: guest.initrd)
        // Without the final poweroff the agent goes on to serve the attached run after the plan.
        let plan = try AutonomousScoring.plan(for: placeholder).filter { !$0.contains(#""method":"poweroff""#) }
        let initrd = directory.appendingPathComponent("initrd-with-plan")
        try AutonomousPlanFile.appended(to: try Data(contentsOf: guest.initrd), plan: Data((plan.joined(separator: "\n") + "\n").utf8))
            .write(to: initrd)
        let target = Self.target(directory: directory, initrd: initrd)
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(150), profiles: ["avps-2.0", "automotive-extras"])
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        #expect(outcome.results.allSatisfy { $0.infraError == nil }, "\(outcome.results.compactMap(\.infraError))")
        let serial = try #require(outcome.results.first?.artifacts["serial_log"], "the run kept the serial log")
        let log = try String(contentsOf: runDirectory.appendingPathComponent(serial), encoding: .utf8)
        #expect(log.contains("AVPS-EV1-END"), "the plan ran to its end on the console")

        let offline = await AutonomousScoring.score(log: log, target: target, profiles: try Self.profiles())
        #expect(offline.allSatisfy { $0.infraError == nil }, "\(offline.compactMap(\.infraError))")
        let attached = Dictionary(uniqueKeysWithValues: outcome.results.flatMap(\.results).map { ($0.key, $0) })
        var agreed = 0
        var differences: [String] = []
        for row in offline.flatMap(\.results) {
            let live = try #require(attached[row.key])
            if row.verdict == .pass { #expect(live.verdict == .pass, "\(row.key): offline PASS, attached \(live.verdict)") }
            let needsHost = row.reason.contains(AutonomousScoring.noHost) || row.reason.contains("did not run this request")
                || row.reason.contains("did not record")
            if needsHost {
                #expect(row.verdict == .skipped || row.verdict == .untested || row.verdict == .notOffered,
                        "\(row.key): a host-side row is \(row.verdict) offline: \(row.reason)")
            } else if row.verdict == live.verdict {
                agreed += 1
            } else {
                differences.append("\(row.key): offline \(row.verdict.rawValue) (\(row.reason)) vs attached \(live.verdict.rawValue) (\(live.reason))")
            }
        }
        #expect(differences.isEmpty, "guest-side verdicts differ: \(differences)")
        #expect(agreed >= 60, "guest-side requirements decided alike: \(agreed)")

        // A mangled answer is not believed: its requirement is SKIPPED naming the damage.
        let mangled = Self.mangle(log, answerOf: "block.integrity")
        let damaged = await AutonomousScoring.score(log: mangled, target: target, profiles: try Self.profiles())
        let integrity = try #require(damaged.flatMap(\.results).first { $0.key == "AVPS2-STOR-05" })
        #expect(integrity.verdict == .skipped && integrity.reason.contains("checksum"), "\(integrity.verdict): \(integrity.reason)")

        // A log cut before the end keeps what it holds and says the plan did not finish.
        let cut = String(log[..<(log.range(of: #"entropy.rate"#)?.lowerBound ?? log.endIndex)])
        let partial = await AutonomousScoring.score(log: cut, target: target, profiles: try Self.profiles())
        let rng = try #require(partial.flatMap(\.results).first { $0.key == "AVPS2-RNG-03" })
        #expect(rng.verdict == .skipped && rng.reason.contains("log ends before"),
                "a probe the log does not hold never passes: \(rng.verdict) \(rng.reason)")
        #expect(await processesRemaining("avps-it-autonomous").isEmpty, "QEMU left running")
    }

    /// Changes the last payload character of every answer line that follows a request naming `probe`.
    static func mangle(_ log: String, answerOf probe: String) -> String {
        var lines = log.components(separatedBy: .newlines)  // "\r\n" is one Character: split on scalars
        var index = 0
        while index < lines.count {
            defer { index += 1 }
            guard lines[index].contains("AVPS-EV1 "), lines[index].contains(" Q "), lines[index].contains(probe),
                  let answer = lines[(index + 1)...].firstIndex(where: { $0.contains("AVPS-EV1 ") && $0.contains(" A ") }) else { continue }
            var line = lines[answer]
            let last = line.removeLast()
            lines[answer] = line + (last == "a" ? "b" : "a")
        }
        return lines.joined(separator: "\n")
    }
}
