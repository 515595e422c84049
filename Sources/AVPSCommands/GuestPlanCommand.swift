import ArgumentParser
import Foundation
import Runner

extension GuestCommand {
    /// `avps guest plan [SUITE] [--target T] --out FILE`: the request plan an agent answers in
    /// autonomous mode. Put it at /etc/avps/plan.jsonl in the guest (`avps guest inject --plan`)
    /// and boot with `avps.autonomous` on the kernel command line; `avps score --from-console`
    /// scores the console log.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Write the request plan the agent runs in autonomous mode (no host attached).")

        @Argument(help: "The suite (default: Suites/default.yaml).")
        var suite: String?

        @Option(help: "Target name (needed when the suite has several).")
        var target: String?

        @Option(help: "Plan file to write (one JSON request per line).")
        var out: String

        func run() async throws {
            do {
                let selection = try SuiteSelection.load(suite: suite, target: target)
                let frames = try AutonomousScoring.plan(for: selection.target)
                try Data((frames.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                print("\(out): \(frames.count) requests for \(selection.target.name)")
            } catch {
                throw ExitCode(ErrorReporting.report(error).rawValue)
            }
        }
    }
}
