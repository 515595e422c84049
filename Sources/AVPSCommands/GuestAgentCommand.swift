import ArgumentParser
import Foundation
import GuestImage

extension GuestCommand {
    /// `avps guest agent`: the static in-guest agent alone, copied to `--out`. Packaging uses it to
    /// ship prebuilt agents; vendors use it to put the agent into their own images.
    /// Exit status 2: bad input (agent does not compile, output not writable); 3: host problem.
    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agent",
            abstract: "Build the static avps agent for one architecture and copy it to --out."
        )

        @OptionGroup var guest: GuestOptions

        @Option(help: "Where to write the agent binary (mode 0755).")
        var out: String

        func run() async throws {
            do {
                let built = try await GuestImageBuilder(progress: { Console.info($0) })
                    .agent(architecture: guest.arch,
                           agentSource: guest.agentSource.map { URL(fileURLWithPath: $0, isDirectory: true) },
                           cacheRoot: guest.cacheRoot)
                try Self.copy(built.binary, to: URL(fileURLWithPath: out))
                print("agent \(guest.arch.rawValue): \(out) sha256 \(built.sha256)")
            } catch {
                throw ExitCode(ErrorReporting.report(error).rawValue)
            }
        }

        private static func copy(_ source: URL, to destination: URL) throws(AgentOutputError) {
            let manager = FileManager.default
            do {
                if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
                try manager.copyItem(at: source, to: destination)
                try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination.path)
            } catch {
                throw AgentOutputError(path: destination.path, reason: error.localizedDescription)
            }
        }
    }
}

/// The agent was built but could not be written where `--out` says.
struct AgentOutputError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write the agent to \(path): \(reason)" }
}
