import AVPSModel
import Foundation
import Testing

/// `avps score` with signed attestations through the real command line, on a recorded console log
/// (Recorded/autonomous-q35.*: the default target's devices plus a legacy-only disk, so the log
/// holds measured FAILs). No guest boots. Keys are made for the test (AttestationTests.Bench).
@Suite("avps score with attestations", .serialized, .timeLimit(.minutes(2)))
struct ScoreAttestationTests {
    static let recorded = Paths.root.appendingPathComponent("Tests/IntegrationTests/Recorded")
    static let log = recorded.appendingPathComponent("autonomous-q35.console.log").path
    static let suite = recorded.appendingPathComponent("autonomous-q35.suite.yaml")

    /// The example's three entries plus one for a row the log measured FAIL.
    static let failEntry = """
          - key: AVPS2-GEN-04
            targets: [qemu-q35-reference]
            statement: No device is driven through the legacy interface.
            evidence: none (this entry must not outweigh the measurement)
            owner: avps maintainers (test)
            date: 2026-12-05
            expires: 2027-06-30

        """

    @Test("--attestation/--trust-key: UNTESTED rows ATTESTED, a measured FAIL stays FAIL, files kept in RUN/attestations/")
    func scoreAppliesAttestations() async throws {
        let bench = try await AttestationTests.Bench.make("score-attest", extra: Self.failEntry)
        let out = bench.directory.appendingPathComponent("run")
        let score = try await CLITests.avps(["score", "--from-console", Self.log, Self.suite.path, "--out", out.path,
                                             "--attestation", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(score.status == 1, "the legacy disk fails MUSTs: \(score.stderr.suffix(1500))")
        #expect(score.stderr.contains("AVPS2-GEN-04 has a machine check"), "the load warns that the measurement wins")
        let target = try #require(try finishedRun(out).targets.first)
        let words = verdictWords(target)
        for key in ["AVPS2-EMU-01", "AVPS2-NET-07", "AVPS2-CON-06"] {
            #expect(words[key] == "ATTESTED", "\(key): \(words[key] ?? "missing")")
            let record = try #require(target.results.first { $0.key == key }?.attestation)
            #expect(record.file == "attestations/qemu-reference.yaml" && record.signer.count == 64)
        }
        #expect(words["AVPS2-GEN-04"] == "FAIL", "a measured FAIL is never replaced by an attestation")
        #expect(target.results.first { $0.key == "AVPS2-GEN-04" }?.attestation == nil)
        let kept = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("attestations").path).sorted()
        #expect(kept == ["qemu-reference.yaml", "qemu-reference.yaml.sig"])
        let copy = try Data(contentsOf: out.appendingPathComponent("attestations/qemu-reference.yaml"))
        #expect(copy == (try Data(contentsOf: bench.file)), "the copy is the signed bytes")
        #expect(Conformance.outcome(of: target).attested.map(\.key) == ["AVPS2-EMU-01", "AVPS2-NET-07", "AVPS2-CON-06"])

        // The same through the suite's own `attestations:` key (paths relative to the suite file).
        let suite = bench.directory.appendingPathComponent("suite.yaml")
        try Data((try String(contentsOf: Self.suite, encoding: .utf8) + """
            attestations:
              - file: qemu-reference.yaml
                trust_keys: [vendor.pub.pem]

            """).utf8).write(to: suite)
        let viaSuite = bench.directory.appendingPathComponent("run-suite")
        let bySuite = try await CLITests.avps(["score", "--from-console", Self.log, suite.path, "--out", viaSuite.path])
        #expect(bySuite.status == 1, "\(bySuite.stderr.suffix(1500))")
        let suiteTarget = try #require(try finishedRun(viaSuite).targets.first)
        #expect(verdictWords(suiteTarget) == words)
    }

    @Test("a tampered attestation, an unknown key, a missing key: exit 2 as avps run, before the log is read or anything written")
    func scoreRefusesBadAttestations() async throws {
        let bench = try await AttestationTests.Bench.make("score-attest-refuse")
        let out = bench.directory.appendingPathComponent("run")
        let stranger = try await CLITests.avps(["score", "--from-console", Self.log, Self.suite.path, "--out", out.path,
                                                "--attestation", bench.file.path, "--trust-key", bench.strangerPublic])
        #expect(stranger.status == 2 && stranger.stderr.contains("qemu-reference.yaml: signed by key"), "\(stranger.stderr)")

        let original = try String(contentsOf: bench.file, encoding: .utf8)
        try Data(original.replacingOccurrences(of: "2027-06-30", with: "2029-06-30").utf8).write(to: bench.file)
        // A log that does not exist: the refusal must come first, from the attestation.
        let tampered = try await CLITests.avps(["score", "--from-console", "/nonexistent/console.log", Self.suite.path, "--out", out.path,
                                                "--attestation", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(tampered.status == 2, "\(tampered.stderr)")
        #expect(tampered.stderr.contains("it was changed after it was signed"), "\(tampered.stderr)")

        let keyless = try await CLITests.avps(["score", "--from-console", Self.log, Self.suite.path, "--out", out.path,
                                               "--attestation", bench.file.path])
        #expect(keyless.status == 2 && keyless.stderr.contains("add --trust-key"), "\(keyless.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is written for a refused attestation")
    }
}
