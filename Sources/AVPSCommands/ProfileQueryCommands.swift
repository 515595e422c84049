import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation

/// `avps profile list`: the shipped profiles with id, size and what they extend.
struct ProfileListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the profiles under Profiles/.")

    func run() throws {
        for url in ProfileCommand.shippedProfiles() {
            let (profile, errors) = ProfileLoader.diagnose(contentsOf: url)
            guard let profile else {
                print("\(url.lastPathComponent)  (does not load: \(errors.count) problem(s); run avps profile lint)")
                continue
            }
            let checked = profile.requirements.filter { $0.check != nil }.count
            print("\(RequirementText.lineage(profile))  \(profile.requirements.count) requirements (\(checked) checked)  \(profile.title)")
        }
    }
}

/// `avps profile show KEY`: one requirement in full.
struct ProfileShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one requirement by key.")

    @Argument(help: "Requirement key, e.g. AVPS2-STOR-03.")
    var key: String

    @Option(help: "Profile name or path (default: search every Profiles/*.yaml).")
    var profile: String?

    func run() throws {
        let profiles = try profile.map { [try ProfileCommand.load($0)] }
            ?? ProfileCommand.shippedProfiles().compactMap { ProfileLoader.diagnose(contentsOf: $0).profile }
        var found = false
        for candidate in profiles {
            guard let requirement = candidate.requirements.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame }) else { continue }
            if found { print("") }
            print(RequirementText.describe(requirement, in: candidate))
            found = true
        }
        guard found else {
            let keys = profiles.flatMap { $0.requirements.map(\.key) }
            Console.error("no requirement \"\(key)\"" + YAMLNodeReader.suggestion(for: key.uppercased(), among: keys))
            throw ExitCode(RunOutcome.usageError.rawValue)
        }
    }
}

/// `avps profile coverage [PROFILE]`: per chapter, how much is machine-checked.
struct ProfileCoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Per chapter: requirements, how many have a check, and which are UNTESTED.")

    @Argument(help: "Profile name or path (default: avps-2.0).")
    var profile: String = "avps-2.0"

    func run() throws {
        let loaded = try ProfileCommand.load(profile)
        print(ProfileCoverage(loaded).table(title: "\(loaded.title) (\(loaded.id), spec \(loaded.specVersion))"))
    }
}
