import AVPSModel
import AVPSProfiles
import Crypto
import Foundation
import Reports
import Runner

/// Attestation files a run accepts: each signature checked against the keys the run trusts
/// before anything is read from the file, then every entry checked against the run's profiles
/// and targets. Anything wrong refuses the run (exit 2) with the file, line and field; expired
/// entries and entries for machine-checked requirements are warnings (see `AttestationFile.check`).
struct VerifiedAttestations {
    struct File {
        var source: URL
        var data: Data
        var signatureText: String
        var parsed: AttestationFile
        var signer: String
        var sha256: String
        var origin: AttestationSource
    }

    var files: [File] = []

    /// What plan.json records: each file by absolute path, with its hash and the keys trusted for it.
    var sources: [AttestationSource] { files.map(\.origin) }

    /// Loads and verifies `sources`; `targets` are the suite's target names (nil: a resumed run, checked when it started).
    static func load(_ sources: [AttestationSource], profiles: [Profile], targets: [String]?,
                     today: CalendarDay = .today()) throws -> VerifiedAttestations {
        guard !sources.isEmpty else { return VerifiedAttestations() }
        var verified = VerifiedAttestations()
        for source in sources {
            let trusted = try trustedKeys(source.trustKeys)
            guard !trusted.isEmpty else {
                throw RunnerError.usage("\(source.file): no key is trusted for it; give the signer's public key with --trust-key")
            }
            let file = try verify(URL(fileURLWithPath: source.file), trusted: trusted, profiles: profiles,
                                  targets: targets, today: today)
            if let recorded = source.sha256, recorded != file.sha256 {
                throw RunnerError.usage("\(source.file) changed since the run started (sha256 \(recorded.prefix(12))… → \(file.sha256.prefix(12))…)")
            }
            var recorded = file
            recorded.origin = AttestationSource(file: absolute(source.file), trustKeys: source.trustKeys.map(absolute), sha256: file.sha256)
            verified.files.append(recorded)
        }
        return verified
    }

    /// The public keys a run trusts, read from PEM files; an unreadable key is a usage error.
    static func trustedKeys(_ paths: [String]) throws -> [Curve25519.Signing.PublicKey] {
        try paths.map { path in
            do { return try BundleKeys.publicKey(at: URL(fileURLWithPath: path)) } catch {
                throw RunnerError.usage("trusted key \(path): \(error)")
            }
        }
    }

    /// A file's bytes, its signature text and what checking the signature found.
    struct Signed {
        var data: Data
        var signatureText: String
        var check: AttestationSignature.Check
    }

    /// Reads `url` and `url.sig` and checks the signature with the trusted keys.
    static func readSigned(_ url: URL, trusted: [Curve25519.Signing.PublicKey]) throws -> Signed {
        let signatureURL = AttestationSignature.url(for: url)
        let data: Data, signatureText: String
        do { data = try Data(contentsOf: url) } catch {
            throw RunnerError.usage("\(url.relativePath): cannot read the attestation file: \(error.localizedDescription)")
        }
        do { signatureText = try String(contentsOf: signatureURL, encoding: .utf8) } catch {
            throw RunnerError.usage("\(url.relativePath): no signature \(signatureURL.relativePath) (sign it with: avps attest sign \(url.relativePath) --key PRIVATE.pem)")
        }
        return Signed(data: data, signatureText: signatureText,
                      check: AttestationSignature.check(data, signatureText: signatureText, trusted: trusted))
    }

    /// Signature first (a changed file is refused before it is parsed), then structure, then the run.
    static func verify(_ url: URL, trusted: [Curve25519.Signing.PublicKey], profiles: [Profile], targets: [String]?,
                       today: CalendarDay) throws -> File {
        let signed = try readSigned(url, trusted: trusted)
        let (data, signatureText) = (signed.data, signed.signatureText)
        guard case .valid(let signer) = signed.check else {
            throw RunnerError.usage(AttestationSignature.refusal(signed.check, file: url.relativePath, trusted: trusted)
                                    ?? "\(url.relativePath): bad signature")
        }
        let parsed = try AttestationFile.load(contentsOf: url)
        let findings = parsed.check(profiles: profiles, targets: targets, today: today)
        for warning in findings.warnings { Console.info("warning: \(warning)") }
        if let first = findings.errors.first {
            for other in findings.errors.dropFirst() { Console.error(other.description) }
            throw first
        }
        let sha256 = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return File(source: url, data: data, signatureText: signatureText, parsed: parsed, signer: signer, sha256: sha256,
                    origin: AttestationSource(file: url.path, trustKeys: [], sha256: sha256))
    }

    private static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Copies every file and its signature into `<run>/attestations/` (so a bundle carries them and
    /// a customer can verify them again) and returns the index the runner scores with, naming the copies.
    func install(into runDirectory: URL) throws -> AttestationIndex {
        guard !files.isEmpty else { return [:] }
        let directory = runDirectory.appendingPathComponent("attestations")
        var index: AttestationIndex = [:]
        var used: Set<String> = []
        for file in files {
            var name = file.source.lastPathComponent
            if used.contains(name) { name = "\(used.count + 1)-\(name)" }
            used.insert(name)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try file.data.write(to: directory.appendingPathComponent(name), options: .atomic)
                try Data(file.signatureText.utf8).write(to: directory.appendingPathComponent(name + ".sig"), options: .atomic)
            } catch {
                throw RunnerError.infrastructure("cannot copy \(file.source.path) into \(directory.path): \(error.localizedDescription)")
            }
            for entry in file.parsed.entries {
                let attestation = Attestation(statement: entry.statement, evidence: entry.evidence, owner: entry.owner,
                                              vendor: file.parsed.vendor, date: entry.date, expires: entry.expires,
                                              file: "attestations/\(name)", sha256: file.sha256, signer: file.signer)
                for target in entry.targets { index[target, default: [:]][entry.key] = attestation }
            }
        }
        return index
    }
}
