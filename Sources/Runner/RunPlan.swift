import AVPSModel
import Foundation

/// What a run set out to do, written to `plan.json` before the first guest boots, so a crashed run
/// can be resumed and a single check replayed on exactly the same target, profile text and seed.
public struct RunPlan: Codable, Sendable, Equatable {
    public static let fileName = "plan.json"
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var toolVersion: String
    public var suiteName: String
    public var targets: [TargetSpec]
    /// Profiles by path and content hash; a resume or replay refuses a profile whose text changed.
    public var profiles: [ProfileReference]
    public var seed: UInt64
    public var jobs: Int
    public var retries: Int
    /// Signed vendor attestation files and the keys trusted for them (nil: none); a resume or
    /// replay verifies them again and refuses a file whose text changed.
    public var attestations: [AttestationSource]?

    public init(toolVersion: String, suiteName: String, targets: [TargetSpec], profiles: [ProfileReference],
                seed: UInt64, jobs: Int, retries: Int) {
        self.schemaVersion = Self.currentSchemaVersion
        self.toolVersion = toolVersion
        self.suiteName = suiteName
        self.targets = targets
        self.profiles = profiles
        self.seed = seed
        self.jobs = jobs
        self.retries = retries
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case toolVersion = "tool_version"
        case suiteName = "suite_name"
        case targets, profiles, seed, jobs, retries, attestations
    }

    public func write(to runDirectory: URL) throws(RunnerError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: runDirectory.appendingPathComponent(Self.fileName), options: .atomic)
        } catch {
            throw .infrastructure("cannot write \(Self.fileName) in \(runDirectory.path): \(error.localizedDescription)")
        }
    }

    public static func read(from runDirectory: URL) throws(RunnerError) -> RunPlan {
        let url = runDirectory.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw .usage("\(url.path) not found: is \(runDirectory.path) a run directory of this avps?")
        }
        let plan: RunPlan
        do {
            plan = try JSONDecoder().decode(RunPlan.self, from: data)
        } catch {
            throw .usage("\(url.path) is not a valid run plan: \(error)")
        }
        guard plan.schemaVersion <= currentSchemaVersion else {
            throw .usage("\(url.path) was written by a newer avps (plan schema \(plan.schemaVersion))")
        }
        return plan
    }

    /// Loads the recorded profiles, refusing any whose text changed since the run started.
    public func loadProfiles() throws -> [LoadedProfile] {
        try profiles.map { reference in
            let loaded = try LoadedProfile.load(URL(fileURLWithPath: reference.path), displayPath: reference.path)
            guard loaded.reference.sha256 == reference.sha256 else {
                throw RunnerError.usage("profile \(reference.path) changed since the run started (sha256 \(reference.sha256.prefix(12))… → \(loaded.reference.sha256.prefix(12))…)")
            }
            return loaded
        }
    }
}
