import Foundation

/// The single error type of the Reports layer.
///
/// Callers (the `avps` commands) turn these into exit codes and messages, so every case carries
/// enough context for a person to act without reading the source.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A results.json was written by a newer (or nonsensical) schema than this build understands.
    /// Reading it anyway would silently drop fields, so we refuse.
    case unsupportedSchemaVersion(found: Int, supported: Int)
    /// The bytes are not a results.json this build can read (bad JSON, missing or mistyped field).
    case malformedResults(String)
    /// A RunResult could not be encoded (for example a non-finite stage duration).
    case encodingFailed(String)
    /// Writing a report file failed.
    case writeFailed(path: String, reason: String)
    /// Reading an input file (a results.json, a journal, a bundle, a key) failed.
    case readFailed(path: String, reason: String)
    /// A key file is not the PEM form `avps bundle keygen` writes (Ed25519 PKCS#8 / SPKI).
    case badKey(path: String, reason: String)
    /// A bundle is not a tar archive this build can read, or lacks its manifest.
    case malformedBundle(String)
    /// Inputs that cannot be combined (for example merging runs with different schema versions).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .unsupportedSchemaVersion(let found, let supported):
            "results.json has schema_version \(found), but this avps understands only versions 1...\(supported); "
                + "use a newer avps to read it"
        case .malformedResults(let detail):
            "results.json is malformed: \(detail)"
        case .encodingFailed(let detail):
            "cannot encode results: \(detail)"
        case .writeFailed(let path, let reason):
            "cannot write \(path): \(reason)"
        case .readFailed(let path, let reason):
            "cannot read \(path): \(reason)"
        case .badKey(let path, let reason):
            "key file \(path): \(reason)"
        case .malformedBundle(let detail):
            "bundle is malformed: \(detail)"
        case .invalidInput(let detail):
            detail
        }
    }
}
