import ArgumentParser
import Foundation
import Reports

/// `avps bundle …`: certification bundles a vendor can hand to a customer, checked offline.
///
/// Exit codes: 0 done / bundle intact, 1 `verify` found a changed, added or missing file or a bad
/// signature, 2 bad command line or unreadable input (including a missing key file).
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack a run into a signed certification bundle, verify one, or make a signing key.",
        subcommands: [BundleCreateCommand.self, BundleVerifyCommand.self, BundleKeygenCommand.self])
}

struct BundleCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Pack a run directory with a SHA-256 manifest and an optional Ed25519 signature.")

    @Argument(help: ArgumentHelp("The run directory.", valueName: "run"))
    var runPath: String

    @Option(help: "Ed25519 private key (PEM) to sign the manifest with.")
    var key: String?

    @Option(help: "Bundle file (default: <run directory>.avps-bundle.tar).")
    var out: String?

    func run() throws {
        let directory = URL(fileURLWithPath: runPath).standardizedFileURL
        let output = out.map { URL(fileURLWithPath: $0) }
            ?? directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".avps-bundle.tar")
        do throws(ReportError) {
            let signingKey = try key.map { path throws(ReportError) in try BundleKeys.privateKey(at: URL(fileURLWithPath: path)) }
            let bundle = try CertificationBundle.create(runDirectory: directory, signingKey: signingKey)
            try ReportWriter.writeAtomically(bundle, to: output)
            print("\(output.path) (\(bundle.count) bytes, \(signingKey == nil ? "unsigned" : "signed"))")
            if let outcome = CertificationBundle.outcome(runDirectory: directory) { print("certifies: \(outcome)") }
        } catch { throw ReportFailure.exit(error) }
    }
}

struct BundleVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a bundle's files against its manifest, and its signature with --key.")

    @Argument(help: "The bundle file.")
    var bundle: String

    @Option(help: "Ed25519 public key (PEM); without it the signature is not checked.")
    var key: String?

    func run() throws {
        let verification: CertificationBundle.Verification
        do {
            let publicKey = try key.map { path throws(ReportError) in try BundleKeys.publicKey(at: URL(fileURLWithPath: path)) }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: bundle)) } catch {
                throw ReportError.readFailed(path: bundle, reason: error.localizedDescription)
            }
            verification = try CertificationBundle.verify(data, publicKey: publicKey)
        } catch let error as ReportError { throw ReportFailure.exit(error) }
        for (label, paths) in [("changed", verification.changed), ("missing", verification.missing),
                               ("added", verification.added)] {
            for path in paths { print("\(label): \(path.debugDescription)") }
        }
        let signature: String = switch verification.signature {
        case .valid: "signature: valid"
        case .invalid: "signature: INVALID (the manifest was changed, or it was signed with another key)"
        case .notChecked: "signature: present, not checked (give --key PUBLIC.pem)"
        case .unsigned: key == nil ? "signature: none" : "signature: none, but --key was given"
        }
        print(signature)
        if let outcome = verification.outcome { print("certifies: \(outcome)") }
        print(verification.isIntact ? "bundle intact: \(verification.fileCount) file(s) match the manifest"
              : "bundle NOT intact")
        if !verification.isIntact { throw ExitCode(1) }
    }
}

struct BundleKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Write a new Ed25519 key pair: PREFIX.pem (private, mode 0600) and PREFIX.pub.pem.")

    @Option(help: "Path prefix of the key files.")
    var out: String = "avps-signing"

    func run() throws {
        let pair = BundleKeys.generate()
        let privateURL = URL(fileURLWithPath: out + ".pem"), publicURL = URL(fileURLWithPath: out + ".pub.pem")
        guard !FileManager.default.fileExists(atPath: privateURL.path) else {
            throw ValidationError("\(privateURL.path) exists; refusing to overwrite a key")
        }
        guard FileManager.default.createFile(atPath: privateURL.path, contents: Data(pair.privatePEM.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ReportFailure.exit(.writeFailed(path: privateURL.path, reason: "cannot create"))
        }
        do throws(ReportError) { try ReportWriter.writeAtomically(Data(pair.publicPEM.utf8), to: publicURL) } catch {
            throw ReportFailure.exit(error)
        }
        print("private key: \(privateURL.path)\npublic key:  \(publicURL.path)")
    }
}
