import AVPSModel
import AVPSProfiles
import ArgumentParser
import Foundation

/// `avps profile ...`: inspect and validate requirement profiles without booting anything.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Lint, list, show and measure the coverage of requirement profiles.",
        subcommands: [ProfileLintCommand.self, ProfileListCommand.self, ProfileShowCommand.self,
                      ProfileCoverageCommand.self, ProfileSchemaCommand.self])

    /// `Profiles/` of the project, or of the working directory when no project is found.
    static func profilesDirectory() -> URL {
        (ProjectLocator.root() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .appendingPathComponent("Profiles")
    }

    /// Every `*.yaml` directly under `Profiles/`, sorted by name.
    static func shippedProfiles() -> [URL] {
        let directory = profilesDirectory()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Loads a profile by name or path; a load error is printed and becomes exit status 2.
    static func load(_ nameOrPath: String) throws -> Profile {
        do {
            return try ProfileLoader.load(contentsOf: ProjectLocator.profileURL(nameOrPath, root: ProjectLocator.root()))
        } catch {
            Console.error(error.description)
            throw ExitCode(RunOutcome.usageError.rawValue)
        }
    }
}

/// `avps profile lint FILE...`: every problem of every file as `file:line:col: message`.
struct ProfileLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check profile files; prints file:line:col: message per problem, exits 2 on any error.")

    @Argument(help: "Profile files (default: every Profiles/*.yaml).")
    var files: [String] = []

    func run() throws {
        let urls = files.isEmpty ? ProfileCommand.shippedProfiles() : files.map { URL(fileURLWithPath: $0) }
        var errorCount = 0
        for url in urls {
            let (profile, errors) = ProfileLoader.diagnose(contentsOf: url)
            errors.forEach { print($0.description) }
            errorCount += errors.count
            if let profile {
                Console.info("\(url.relativePath): ok (\(profile.id), \(profile.requirements.count) requirements)")
            }
        }
        if errorCount > 0 {
            Console.error("\(errorCount) problem\(errorCount == 1 ? "" : "s") in \(urls.count) file\(urls.count == 1 ? "" : "s")")
            throw ExitCode(RunOutcome.usageError.rawValue)
        }
    }
}

/// `avps profile schema`: the JSON Schema of profile files.
struct ProfileSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of profile files (published as Profiles/schema/profile.schema.json).")

    func run() {
        print(ProfileSchema.text, terminator: "")
    }
}
