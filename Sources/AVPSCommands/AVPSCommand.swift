import AVPSModel
import ArgumentParser

/// `avps`: certify a hypervisor against AVPS requirement profiles.
public struct AVPSCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "avps",
        abstract: "Certify hypervisors against the Automotive Virtual Platform Specification.",
        discussion: """
            Exit codes of `avps run` (the run's conformance outcome):
            \(RunOutcome.table.map { "  \($0.code)  \($0.meaning)" }.joined(separator: "\n"))
            """,
        version: version,
        subcommands: [RunCommand.self, ReplayCommand.self, GuestCommand.self, ProfileCommand.self,
                      ReportCommand.self, BundleCommand.self, AttestCommand.self, VsockdCommand.self, LavaCommand.self,
                      ScoreCommand.self],
        defaultSubcommand: nil
    )

    public init() {}
}
