import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation
import Reports
import Runner

/// `avps attest …`: sign and verify vendor attestation files (docs/vendors.md), with the same
/// Ed25519 keys as bundles (`avps bundle keygen`).
///
/// Exit codes: 0 signed / valid, 1 `verify` refused the signature (changed file, untrusted key),
/// 2 bad command line or a file that does not read or check (file:line:field).
struct AttestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Sign vendor attestation files, verify them against a run's profiles and targets, print their schema.",
        subcommands: [AttestSignCommand.self, AttestVerifyCommand.self, AttestSchemaCommand.self])
}

struct AttestSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign an attestation file's exact bytes; writes FILE.sig next to it.")

    @Argument(help: "The attestation file (YAML).")
    var file: String

    @Option(help: "Ed25519 private key (PEM, from avps bundle keygen).")
    var key: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        // Only a file that reads is signed: a signature must never vouch for a broken file.
        let lint = AttestationFile.lint(contentsOf: url)
        guard let parsed = lint.file else {
            for error in lint.errors { Console.error(error.description) }
            throw ExitCode(RunOutcome.usageError.rawValue)
        }
        do throws(ReportError) {
            let privateKey = try BundleKeys.privateKey(at: URL(fileURLWithPath: key))
            let data: Data
            do { data = try Data(contentsOf: url) } catch { throw .readFailed(path: file, reason: error.localizedDescription) }
            let signatureURL = AttestationSignature.url(for: url)
            try ReportWriter.writeAtomically(Data(try AttestationSignature.sign(data, with: privateKey).utf8), to: signatureURL)
            print("\(file).sig: \(parsed.entries.count) attestation(s) by \(parsed.vendor), "
                  + "signer \(BundleKeys.fingerprint(privateKey.publicKey))")
        } catch {
            Console.error("\(error)")
            throw ExitCode(RunOutcome.usageError.rawValue)
        }
    }
}

struct AttestVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an attestation file's signature with trusted keys, then its entries against profiles and a suite's targets.")

    @Argument(help: "The attestation file (YAML); its signature is FILE.sig.")
    var file: String

    @Option(name: .customLong("trust-key"), help: "Ed25519 public key (PEM) trusted to sign it; repeatable.")
    var trustKeys: [String] = []

    @Option(name: .customLong("profile"), help: "Profile whose requirement keys the entries must name; repeatable (default: the suite's, else avps-2.0).")
    var profiles: [String] = []

    @Option(help: "Suite whose target names the entries must use (default: target names are not checked).")
    var suite: String?

    func validate() throws {
        guard !trustKeys.isEmpty else { throw ValidationError("give the signer's public key with --trust-key PUBLIC.pem") }
    }

    func run() throws {
        let root = ProjectLocator.root()
        let outcome: RunOutcome
        do {
            let loadedSuite = try suite.map { path throws(LoadError) in try SuiteLoader.load(contentsOf: URL(fileURLWithPath: path)) }
            let names = profiles.isEmpty ? (loadedSuite?.profiles ?? ["avps-2.0"]) : profiles
            let loaded = try names.map { try LoadedProfile.load(ProjectLocator.profileURL($0, root: root)).profile }
            let trusted = try VerifiedAttestations.trustedKeys(trustKeys)
            let url = URL(fileURLWithPath: file)
            let signed = try VerifiedAttestations.readSigned(url, trusted: trusted)
            if let refusal = AttestationSignature.refusal(signed.check, file: file, trusted: trusted) {
                Console.error(refusal)  // the answer to the question asked: exit 1, not a usage error
                throw ExitCode(RunOutcome.mustFailed.rawValue)
            }
            let verified = try VerifiedAttestations.verify(url, trusted: trusted, profiles: loaded,
                                                           targets: loadedSuite.map { $0.targets.map(\.name) }, today: .today())
            print("signature: valid (signer \(verified.signer))")
            for entry in verified.parsed.entries {
                print("\(entry.key) for \(entry.targets.joined(separator: ", ")): \(entry.statement) "
                      + "(\(entry.owner), \(entry.date) until \(entry.expires); evidence: \(entry.evidence))")
            }
            return
        } catch let exit as ExitCode {
            throw exit
        } catch {
            outcome = ErrorReporting.report(error)
        }
        throw ExitCode(outcome.rawValue)
    }
}

struct AttestSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of attestation files (published as Profiles/schema/attestation.schema.json).")

    func run() {
        print(AttestationSchema.text, terminator: "")
    }
}
