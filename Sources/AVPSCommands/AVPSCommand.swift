import ArgumentParser

/// `avps`: certify a hypervisor against AVPS requirement profiles.
public struct AVPSCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "avps",
        abstract: "Certify hypervisors against the Automotive Virtual Platform Specification.",
        discussion: """
            Exit codes of `avps run`: 0 every MUST requirement passed (or did not apply), \
            1 a MUST requirement failed, 2 usage, suite or profile error, 3 infrastructure error \
            (guest did not boot, agent unreachable, interrupted).
            """,
        version: version,
        subcommands: [RunCommand.self, ReplayCommand.self, GuestCommand.self, ProfileCommand.self,
                      ReportCommand.self, BundleCommand.self, VsockdCommand.self, LavaCommand.self,
                      ScoreCommand.self],
        defaultSubcommand: nil
    )

    public init() {}
}
