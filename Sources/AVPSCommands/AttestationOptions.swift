import AVPSModel
import ArgumentParser
import Runner

/// `--attestation FILE` and `--trust-key PUB` of `avps run`: signed vendor statements for
/// requirements no machine check decides on the platform, and the public keys the run trusts
/// to have signed them. Every `--trust-key` is trusted for every `--attestation`.
struct AttestationOptions: ParsableArguments {
    @Option(name: .customLong("attestation"),
            help: ArgumentHelp("Signed vendor attestation file (YAML; its signature FILE.sig next to it); repeatable.",
                               valueName: "file"))
    var files: [String] = []

    @Option(name: .customLong("trust-key"),
            help: ArgumentHelp("Ed25519 public key (PEM, from avps bundle keygen) whose attestation signatures this run accepts; repeatable.",
                               valueName: "pub.pem"))
    var trustKeys: [String] = []

    /// The files with the keys trusted for them; a usage error (exit 2, as the exit-code table
    /// says) when one is given without the other.
    func sources() throws(RunnerError) -> [AttestationSource] {
        if !trustKeys.isEmpty, files.isEmpty {
            throw .usage("--trust-key is only used with --attestation FILE")
        }
        if !files.isEmpty, trustKeys.isEmpty {
            throw .usage("an attestation counts only with the signer's public key: add --trust-key PUBLIC.pem")
        }
        return files.map { AttestationSource(file: $0, trustKeys: trustKeys) }
    }
}
