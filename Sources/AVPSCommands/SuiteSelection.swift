import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation
import Runner

/// A suite (the default one when none is named), its profiles and one of its targets: what the
/// commands that work on a single target without booting it (`guest plan`, `score`) start from.
struct SuiteSelection {
    var suiteName: String
    var target: TargetSpec
    var profiles: [LoadedProfile]
    /// The suite's own `attestations:` and every target name (what an attestation may name).
    var attestations: [AttestationSource] = []
    var targetNames: [String] = []

    /// The named suite, or the data directory's `Suites/default.yaml`.
    static func suiteURL(_ suite: String?) throws -> URL {
        guard let url = suite.map({ URL(fileURLWithPath: $0) })
            ?? ProjectLocator.root()?.appendingPathComponent("Suites/default.yaml") else {
            throw RunnerError.usage("no suite given, and no avps data directory holds Suites/default.yaml: "
                + "looked for a checkout above \(FileManager.default.currentDirectoryPath), $AVPS_HOME and "
                + "<bin>/../\(DataDirectory.shareSuffix); name a suite file or set AVPS_HOME")
        }
        return url
    }

    static func load(suite: String?, target: String?) throws -> SuiteSelection {
        let root = ProjectLocator.root()
        let loaded = try SuiteLoader.load(contentsOf: try suiteURL(suite))
        let profiles = try loaded.profiles.map { try LoadedProfile.load(ProjectLocator.profileURL($0, root: root)) }
        return SuiteSelection(suiteName: loaded.name, target: try one(of: loaded.targets, named: target), profiles: profiles,
                              attestations: loaded.attestations, targetNames: loaded.targets.map(\.name))
    }

    /// The named target, or the only one.
    static func one(of targets: [TargetSpec], named name: String?) throws -> TargetSpec {
        if let name {
            guard let found = targets.first(where: { $0.name == name }) else {
                throw ValidationError("no target \(name) (targets: \(targets.map(\.name).joined(separator: ", ")))")
            }
            return found
        }
        guard targets.count == 1, let only = targets.first else {
            throw ValidationError("there are \(targets.count) targets; name one with --target (\(targets.map(\.name).joined(separator: ", ")))")
        }
        return only
    }
}
