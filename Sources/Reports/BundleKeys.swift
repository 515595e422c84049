import Crypto
import Foundation

/// Ed25519 keys for signing bundles, stored as PEM in the standard forms OpenSSL also reads and
/// writes (`openssl genpkey -algorithm ed25519`): PKCS#8 `PRIVATE KEY` and SPKI `PUBLIC KEY`.
/// Both DER forms are a fixed prefix followed by the 32 raw key bytes (RFC 8410), so no ASN.1
/// parser is needed.
public enum BundleKeys {
    static let privatePrefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70,
                                         0x04, 0x22, 0x04, 0x20]
    static let publicPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// A new key pair as (private PEM, public PEM).
    public static func generate() -> (privatePEM: String, publicPEM: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (pem("PRIVATE KEY", privatePrefix + key.rawRepresentation),
                pem("PUBLIC KEY", publicPrefix + key.publicKey.rawRepresentation))
    }

    public static func privateKey(at url: URL) throws(ReportError) -> Curve25519.Signing.PrivateKey {
        let raw = try rawKey(at: url, label: "PRIVATE KEY", prefix: privatePrefix)
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: raw) } catch {
            throw .badKey(path: url.path, reason: "not an Ed25519 private key: \(error)")
        }
    }

    public static func publicKey(at url: URL) throws(ReportError) -> Curve25519.Signing.PublicKey {
        let raw = try rawKey(at: url, label: "PUBLIC KEY", prefix: publicPrefix)
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: raw) } catch {
            throw .badKey(path: url.path, reason: "not an Ed25519 public key: \(error)")
        }
    }

    /// SHA-256 of the raw public key, hex: printed so people can compare keys by ear.
    public static func fingerprint(_ key: Curve25519.Signing.PublicKey) -> String {
        SHA256.hash(data: key.rawRepresentation).map { String(format: "%02x", $0) }.joined()
    }

    static func pem(_ label: String, _ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    private static func rawKey(at url: URL, label: String, prefix: [UInt8]) throws(ReportError) -> Data {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .readFailed(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                ? error.localizedDescription : "no such key file")
        }
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
            throw .badKey(path: url.path, reason: "expected a PEM block '\(begin)'")
        }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)), der.count == prefix.count + 32,
              Array(der.prefix(prefix.count)) == prefix else {
            throw .badKey(path: url.path, reason: "not an Ed25519 key in \(label == "PUBLIC KEY" ? "SPKI" : "PKCS#8") form")
        }
        return der.suffix(32)
    }
}
