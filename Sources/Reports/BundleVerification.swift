import Crypto
import Foundation

extension CertificationBundle {
    /// The outcome of checking a bundle offline: every file that changed, appeared or vanished
    /// since the manifest was written, and the state of the signature.
    public struct Verification: Sendable, Equatable {
        public enum Signature: Sendable, Equatable {
            /// Signed, and the signature matches the given public key.
            case valid
            /// The signature does not match the manifest under the given key (tampered or wrong key).
            case invalid
            /// Signed, but no public key was given, so the signature was not checked.
            case notChecked
            /// The bundle carries no signature.
            case unsigned
        }

        public var changed: [String] = []
        public var missing: [String] = []
        public var added: [String] = []
        public var signature: Signature
        public var fileCount: Int
        /// The conformance line of the bundled results.json (`Tally.outcomeLine`); nil when it does
        /// not decode. Shown so a customer sees what the bundle certifies, not only that it is intact.
        public var outcome: String?

        /// Every file matches the manifest, and when a key was given the bundle is signed with it.
        /// Without a key only integrity is shown: whoever changes a file can rewrite the manifest too.
        public var isIntact: Bool {
            let filesMatch = changed.isEmpty && missing.isEmpty && added.isEmpty
            switch signature {
            case .valid, .notChecked: return filesMatch
            case .invalid: return false
            case .unsigned: return filesMatch && !keyGiven
            }
        }

        var keyGiven: Bool
    }

    public static func verify(_ bundle: Data, publicKey: Curve25519.Signing.PublicKey?) throws(ReportError) -> Verification {
        let entries = try TarArchive.read(bundle)
        guard let manifest = entries.first(where: { $0.path == manifestName }) else {
            throw .malformedBundle("no \(manifestName) in the bundle")
        }
        var expected: [String: String] = [:]
        var order: [String] = []
        for line in String(decoding: manifest.data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, parts[0].count == 64 else {
                throw .malformedBundle("bad manifest line: \(line.debugDescription)")
            }
            expected[String(parts[2])] = String(parts[0])
            order.append(String(parts[2]))
        }
        var result = Verification(signature: .unsigned, fileCount: order.count, keyGiven: publicKey != nil)
        var present: Set<String> = []
        for entry in entries where entry.path != manifestName && entry.path != signatureName {
            present.insert(entry.path)
            guard let hash = expected[entry.path] else { result.added.append(entry.path); continue }
            if hash != sha256(entry.data) { result.changed.append(entry.path) }
        }
        result.missing = order.filter { !present.contains($0) }
        if let results = entries.first(where: { $0.path == ResultsJSON.fileName }),
           let run = try? ResultsJSON.decode(results.data) {
            result.outcome = CertificationBundle.summary(run)
        }
        if let signatureEntry = entries.first(where: { $0.path == signatureName }) {
            if let publicKey {
                let text = String(decoding: signatureEntry.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                let valid = Data(base64Encoded: text).map { publicKey.isValidSignature($0, for: manifest.data) } ?? false
                result.signature = valid ? .valid : .invalid
            } else {
                result.signature = .notChecked
            }
        }
        return result
    }
}
