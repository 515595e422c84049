import AVPSModel
import Foundation

extension SuiteLoader {
    /// `attestations:` of a suite: signed vendor attestation files and the public keys trusted
    /// to have signed each, paths relative to the suite file.
    ///
    /// ```yaml
    /// attestations:
    ///   - file: attestations/acme-board.yaml     # its signature: attestations/acme-board.yaml.sig
    ///     trust_keys: [keys/acme-qa.pub.pem]
    /// ```
    static func attestations(_ reader: YAMLNodeReader?) throws(LoadError) -> [AttestationSource] {
        guard let reader else { return [] }
        let base = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        return try reader.sequence().map { item throws(LoadError) in
            let mapping = try item.mapping(allowedKeys: ["file", "trust_keys"])
            let keysReader = try mapping.required("trust_keys")
            let keys = try keysReader.sequence().map { key throws(LoadError) in resolve(try key.nonEmptyString()) }
            guard !keys.isEmpty else { throw keysReader.error("name at least one public key trusted to sign this file") }
            return AttestationSource(file: resolve(try mapping.requiredString("file")), trustKeys: keys)
        }
    }
}
