import AVPSModel
import Foundation

/// results.json: the canonical, machine-readable record of a run.
///
/// Other tools (matrix, diff, dashboards) read this file, so its shape is pinned by
/// `Reports/schema/results-v1.schema.json` (top level of the project) and by tests that validate the encoder's output against it.
/// The encoding is deterministic (sorted keys, fixed date format) so two identical runs produce
/// byte-identical files and diffs of results.json stay meaningful.
public enum ResultsJSON {
    /// File name used inside a run directory.
    public static let fileName = "results.json"

    /// Encodes a run as pretty, key-sorted JSON with ISO-8601 UTC dates (millisecond precision),
    /// with each target's conformance outcome and the run's (derived by `Conformance`) filled in.
    ///
    /// Refuses a `RunResult` whose `schemaVersion` is not the one this build writes: the schema
    /// file describes exactly one version, and writing another number would mislabel the data.
    public static func encode(_ run: RunResult) throws(ReportError) -> Data {
        guard run.schemaVersion == RunResult.currentSchemaVersion else {
            throw .unsupportedSchemaVersion(found: run.schemaVersion, supported: RunResult.currentSchemaVersion)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.iso8601Millis(date))
        }
        var derived = run
        for index in derived.targets.indices {
            derived.targets[index].conformance = Conformance.outcome(of: derived.targets[index])
        }
        derived.conformance = RunConformance(derived.targets)
        do {
            var data = try encoder.encode(derived)
            data.append(0x0A)  // POSIX text file: end with a newline
            return data
        } catch {
            throw .encodingFailed(String(describing: error))
        }
    }

    /// Decodes a results.json, checking `schema_version` first so that a file from a newer avps
    /// fails with a clear message instead of an obscure missing-field error.
    public static func decode(_ data: Data) throws(ReportError) -> RunResult {
        let version: Int
        do {
            version = try JSONDecoder().decode(VersionProbe.self, from: data).schemaVersion
        } catch {
            throw .malformedResults("no readable integer schema_version (\(describe(error)))")
        }
        guard (1...RunResult.currentSchemaVersion).contains(version) else {
            throw .unsupportedSchemaVersion(found: version, supported: RunResult.currentSchemaVersion)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamps.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO-8601 UTC timestamp: \(text)")
            }
            return date
        }
        do {
            // The outcome is derived from the results: drop the recorded copy so nobody trusts an edited one.
            var run = try decoder.decode(RunResult.self, from: data)
            run.conformance = nil
            for index in run.targets.indices { run.targets[index].conformance = nil }
            return run
        } catch {
            throw .malformedResults(describe(error))
        }
    }

    private struct VersionProbe: Decodable {
        let schemaVersion: Int
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }

    /// A one-line description of a decoding error that names the JSON path, which is what a person
    /// fixing a hand-edited or truncated file needs.
    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String {
            let parts = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            return parts.isEmpty ? "(root)" : parts.joined()
        }
        switch decoding {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): missing \(type) value"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field missing"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: decoding)
        }
    }
}
