import AgentProtocol
import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// Runs one external command (an adapter's `stop` or `reset`) that must not hang the run: it gets
/// a deadline, a process group of its own announced to the orphan guard, the launch's marker in its
/// environment, and on expiry its whole group is killed. A `stop` that never returned kept avps up
/// past `--run-timeout`.
package enum BoundedCommand {
    package struct Outcome: Sendable {
        /// Exit status; nil when the command could not start, was killed, or ran out of time.
        package var status: Int32?
        /// Set when the deadline expired and the group was killed.
        package var timedOut: Bool
        /// Why it could not start, if it could not.
        package var failure: String?

        /// One line for INFRA messages, nil when the command succeeded.
        package func problem(_ label: String, limit: Duration) -> String? {
            if timedOut { return "\(label) did not finish within \(String(format: "%.1f", limit.seconds)) s and was killed" }
            if let failure { return "\(label) could not start: \(failure)" }
            if let status, status != 0 { return "\(label) exited with status \(status)" }
            return nil
        }
    }

    package static func run(_ arguments: [String], limit: Duration, launchID: String,
                    orphanGuard: OrphanGuard.Guard?) async -> Outcome {
        guard let program = arguments.first, !program.isEmpty else {
            return Outcome(status: nil, timedOut: false, failure: "empty command")
        }
        var options = PlatformOptions()
        options.processGroupID = 0
        do {
            let result = try await Subprocess.run(
                ExecutableLookup.executable(program), arguments: Arguments(Array(arguments.dropFirst())),
                environment: .inherit.updating(LaunchProcesses.environment(launch: launchID)),
                platformOptions: options, input: .none, output: .discarded, error: .discarded
            ) { execution -> Bool in
                let pid = execution.processIdentifier.value
                orphanGuard?.announce(processGroup: pid)
                if await ProcessState.waitForExit(pid, timeout: limit) { return false }
                kill(-pid, SIGKILL)
                return true
            }
            let status: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
            return Outcome(status: result.closureResult ? nil : status, timedOut: result.closureResult, failure: nil)
        } catch {
            return Outcome(status: nil, timedOut: false, failure: "\(error)")
        }
    }
}
