import AVPSModel
import Foundation
import Reports
import Testing

/// Signed vendor attestations through the real command line: `avps attest sign/verify` with a key
/// pair made by `avps bundle keygen` for the test (no private key is committed), refusals before
/// anything boots, and the default target run with the shipped example, ATTESTED in every report.
@Suite("vendor attestations", .serialized, .timeLimit(.minutes(20)))
struct AttestationTests {
    static let example = Paths.root.appendingPathComponent("Suites/attestations/qemu-reference.example.yaml")

    /// A directory with a vendor key pair, a stranger's key pair, and the example copied and signed.
    struct Bench {
        var directory: URL
        var file: URL { directory.appendingPathComponent("qemu-reference.yaml") }
        var vendorPublic: String { directory.appendingPathComponent("vendor.pub.pem").path }
        var strangerPublic: String { directory.appendingPathComponent("stranger.pub.pem").path }

        static func make(_ label: String, extra: String = "") async throws -> Bench {
            let bench = Bench(directory: try Paths.temporaryDirectory(label))
            for name in ["vendor", "stranger"] {
                let made = try await CLITests.avps(["bundle", "keygen", "--out", bench.directory.appendingPathComponent(name).path])
                #expect(made.status == 0, "\(made.stderr)")
            }
            try Data((try String(contentsOf: example, encoding: .utf8) + extra).utf8).write(to: bench.file)
            let signed = try await CLITests.avps(["attest", "sign", bench.file.path, "--key", bench.directory.appendingPathComponent("vendor.pem").path])
            #expect(signed.status == 0, "\(signed.stderr)")
            #expect(signed.stdout.contains("3 attestation(s)") || !extra.isEmpty, "\(signed.stdout)")
            return bench
        }
    }

    @Test("sign and verify: good, tampered, wrong key, unknown key with file:line, expired")
    func signAndVerify() async throws {
        let bench = try await Bench.make("attest-verify")
        let good = try await CLITests.avps(["attest", "verify", bench.file.path, "--trust-key", bench.vendorPublic,
                                            "--suite", "Suites/default.yaml"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("signature: valid (signer "), "\(good.stdout)")
        #expect(good.stdout.contains("AVPS2-EMU-01 for qemu-q35-reference: "))

        let wrongKey = try await CLITests.avps(["attest", "verify", bench.file.path, "--trust-key", bench.strangerPublic])
        #expect(wrongKey.status == 1, "\(wrongKey.stderr)")
        #expect(wrongKey.stderr.contains("which this run does not trust"), "\(wrongKey.stderr)")

        // One changed character in a statement after signing.
        let original = try String(contentsOf: bench.file, encoding: .utf8)
        try Data(original.replacingOccurrences(of: "2027-06-30", with: "2029-06-30").utf8).write(to: bench.file)
        let tampered = try await CLITests.avps(["attest", "verify", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(tampered.status == 1, "\(tampered.stderr)")
        #expect(tampered.stderr.contains("it was changed after it was signed"), "\(tampered.stderr)")

        // A typo in a key, signed all the same: the signature is fine, the key is not.
        try Data(original.replacingOccurrences(of: "key: AVPS2-NET-07", with: "key: AVPS2-NET-7").utf8).write(to: bench.file)
        _ = try await CLITests.avps(["attest", "sign", bench.file.path, "--key", bench.directory.appendingPathComponent("vendor.pem").path])
        let unknown = try await CLITests.avps(["attest", "verify", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(unknown.status == 2, "\(unknown.stderr)")
        let line = try #require(original.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("key: AVPS2-NET-07") }) + 1
        #expect(unknown.stderr.contains("qemu-reference.yaml:\(line):10: attestations[1].key: no requirement \"AVPS2-NET-7\" in avps-2.0; did you mean \"AVPS2-NET-07\"?"),
                "\(unknown.stderr)")

        // Expired: verified, with a warning naming the expiry line; it no longer decides anything.
        try Data(original.replacingOccurrences(of: "2026-12-05", with: "2025-01-02")
            .replacingOccurrences(of: "2027-06-30", with: "2025-06-30").utf8).write(to: bench.file)
        _ = try await CLITests.avps(["attest", "sign", bench.file.path, "--key", bench.directory.appendingPathComponent("vendor.pem").path])
        let expired = try await CLITests.avps(["attest", "verify", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(expired.status == 0, "\(expired.stderr)")
        #expect(expired.stderr.contains("attestations[0].expires: expired on 2025-06-30: it no longer decides AVPS2-EMU-01"), "\(expired.stderr)")
    }

    @Test("avps run refuses a forged attestation before anything is built or booted")
    func runRefusesBeforeBooting() async throws {
        let bench = try await Bench.make("attest-refuse")
        let out = bench.directory.appendingPathComponent("run")
        let started = Date()
        let stranger = try await CLITests.avps(["run", "--accel", "tcg", "--out", out.path,
                                                "--attestation", bench.file.path, "--trust-key", bench.strangerPublic])
        #expect(stranger.status == 2, "\(stranger.stderr)")
        #expect(stranger.stderr.contains("qemu-reference.yaml: signed by key"), "\(stranger.stderr)")
        let unsigned = bench.directory.appendingPathComponent("unsigned.yaml")
        try FileManager.default.copyItem(at: Self.example, to: unsigned)
        let missing = try await CLITests.avps(["run", "--out", out.path, "--attestation", unsigned.path, "--trust-key", bench.vendorPublic])
        #expect(missing.status == 2 && missing.stderr.contains("no signature"), "\(missing.stderr)")
        let keyless = try await CLITests.avps(["run", "--out", out.path, "--attestation", bench.file.path])
        #expect(keyless.status == 2 && keyless.stderr.contains("add --trust-key"), "\(keyless.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("plan.json").path), "nothing may start")
        #expect(Date().timeIntervalSince(started) < 60, "refusals must not wait for a guest")
    }

    @Test("the default target with the signed example: ATTESTED in results.json, JUnit, HTML and the first line; a measurement wins",
          .guestSlot(minutes: 6))
    func defaultRunWithAttestation() async throws {
        // A fourth entry for a requirement the run measures (GEN-05 PASSes on q35): the measurement stays.
        let bench = try await Bench.make("attest-run", extra: """
              - key: AVPS2-GEN-05
                targets: [qemu-q35-reference]
                statement: Every virtio device is on virtio-pci.
                evidence: Suites/default.yaml
                owner: avps maintainers (test)
                date: 2026-12-05
                expires: 2027-06-30

            """)
        let out = bench.directory.appendingPathComponent("run")
        let run = try await CLITests.avps(["run", "--accel", "tcg", "--out", out.path,
                                           "--attestation", bench.file.path, "--trust-key", bench.vendorPublic])
        #expect(run.status == 4, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stderr.contains("AVPS2-GEN-05 has a machine check"), "the load warns that the measurement wins")
        let first = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains("; attested 3 MUST: AVPS2-EMU-01, AVPS2-NET-07, AVPS2-CON-06"), "\(first)")
        #expect(!first.contains("AVPS2-EMU-01 (UNTESTED)") && first.contains("AVPS2-BOOT-03 (UNTESTED)"), "\(first)")

        let result = try finishedRun(out)
        let target = try #require(result.targets.first)
        let words = verdictWords(target)
        for key in ["AVPS2-EMU-01", "AVPS2-NET-07", "AVPS2-CON-06"] {
            #expect(words[key] == "ATTESTED", "\(key): \(words[key] ?? "missing")")
            let record = try #require(target.results.first { $0.key == key }?.attestation)
            #expect(record.file == "attestations/qemu-reference.yaml" && record.owner == "avps maintainers (example)")
            #expect(record.signer.count == 64 && record.sha256.count == 64)
        }
        #expect(words["AVPS2-GEN-05"] == "PASS", "a measured verdict is never replaced by an attestation")
        let gen05 = try #require(target.results.first { $0.key == "AVPS2-GEN-05" })
        #expect(gen05.attestation == nil && gen05.evidence.contains { $0.hasSuffix("not needed: the verdict was measured") })
        #expect(Conformance.outcome(of: target).attested.map(\.key) == ["AVPS2-EMU-01", "AVPS2-NET-07", "AVPS2-CON-06"])

        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(!junit.contains("<failure"))
        #expect(junit.components(separatedBy: "type=\"ATTESTED\"").count - 1 == 3)
        #expect(junit.contains("attestation file: attestations/qemu-reference.yaml (sha256 "))
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.components(separatedBy: "<span class=\"badge v-attested\">ATTESTED</span><br><span class=\"basis b-attested\">").count - 1 == 3)
        #expect(html.contains("<a href=\"attestations/qemu-reference.yaml\">"))

        // The run keeps the signed file; a customer verifies it again from the run (or its bundle).
        let kept = out.appendingPathComponent("attestations/qemu-reference.yaml")
        let again = try await CLITests.avps(["attest", "verify", kept.path, "--trust-key", bench.vendorPublic])
        #expect(again.status == 0, "\(again.stderr)")
        let bundle = bench.directory.appendingPathComponent("run.tar")
        let packed = try await CLITests.avps(["bundle", "create", out.path, "--out", bundle.path])
        #expect(packed.status == 0 && packed.stdout.contains("attested 3 MUST"), "\(packed.stdout)\(packed.stderr)")
        let manifest = try String(decoding: Data(contentsOf: bundle), as: UTF8.self)
        #expect(manifest.contains("  attestations/qemu-reference.yaml\n") && manifest.contains("  attestations/qemu-reference.yaml.sig\n"))
    }
}
