import Crypto
import Foundation

/// The detached Ed25519 signature of an attestation file (`FILE.sig` next to `FILE`), made with
/// the same keys as certification bundles (`avps bundle keygen`).
///
/// The signature covers the file's exact bytes: any edit, even of a comment or a space, makes it
/// invalid. The `.sig` text is three lines:
///
/// ```
/// avps-attestation-signature 1
/// signer-sha256 <fingerprint of the public key, as `BundleKeys.fingerprint`>
/// ed25519 <base64 of the 64-byte signature>
/// ```
///
/// The signer line is not trusted by itself: it only lets a refusal say whether the file was
/// signed by a key the run does not trust, or changed after a trusted key signed it.
public enum AttestationSignature {
    static let header = "avps-attestation-signature 1"

    /// `FILE.sig`.
    public static func url(for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent(file.lastPathComponent + ".sig")
    }

    /// The `.sig` text for `data`.
    public static func sign(_ data: Data, with key: Curve25519.Signing.PrivateKey) throws(ReportError) -> String {
        let signature: Data
        do { signature = try key.signature(for: data) } catch {
            throw .encodingFailed("signing the attestation failed: \(error)")
        }
        return "\(header)\nsigner-sha256 \(BundleKeys.fingerprint(key.publicKey))\ned25519 \(signature.base64EncodedString())\n"
    }

    /// What checking a signature against the run's trusted keys found.
    public enum Check: Sendable, Equatable {
        /// A trusted key verified the exact bytes; `signer` is its fingerprint.
        case valid(signer: String)
        /// The signature names a key the run does not trust (and no trusted key verifies it).
        case untrustedSigner(signer: String)
        /// The signature names a trusted key, but it does not verify: the file (or the signature)
        /// was changed after signing.
        case altered(signer: String)
        /// The `.sig` text is not a signature this avps writes.
        case malformed(String)
    }

    /// Checks `signatureText` over `data` with every trusted key.
    public static func check(_ data: Data, signatureText: String, trusted: [Curve25519.Signing.PublicKey]) -> Check {
        let lines = signatureText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 3, lines[0] == header else {
            return .malformed("expected three lines starting with '\(header)'")
        }
        guard lines[1].hasPrefix("signer-sha256 "), lines[2].hasPrefix("ed25519 "),
              let signature = Data(base64Encoded: String(lines[2].dropFirst("ed25519 ".count))), signature.count == 64 else {
            return .malformed("expected 'signer-sha256 <hex>' and 'ed25519 <base64 of 64 bytes>'")
        }
        let claimed = String(lines[1].dropFirst("signer-sha256 ".count))
        if let key = trusted.first(where: { $0.isValidSignature(signature, for: data) }) {
            return .valid(signer: BundleKeys.fingerprint(key))
        }
        return trusted.map(BundleKeys.fingerprint).contains(claimed) ? .altered(signer: claimed) : .untrustedSigner(signer: claimed)
    }

    /// One sentence for a refusal, naming the file and the keys.
    public static func refusal(_ check: Check, file: String, trusted: [Curve25519.Signing.PublicKey]) -> String? {
        let keys = trusted.map { String(BundleKeys.fingerprint($0).prefix(16)) + "…" }.joined(separator: ", ")
        switch check {
        case .valid: return nil
        case .untrustedSigner(let signer):
            return "\(file): signed by key \(signer.prefix(16))…, which this run does not trust (trusted: \(keys.isEmpty ? "none" : keys)); "
                + "give the signer's public key with --trust-key if you trust it"
        case .altered(let signer):
            return "\(file): the signature by trusted key \(signer.prefix(16))… does not match the file: it was changed after "
                + "it was signed (re-sign it with avps attest sign)"
        case .malformed(let why):
            return "\(file).sig: not an avps attestation signature: \(why)"
        }
    }
}
