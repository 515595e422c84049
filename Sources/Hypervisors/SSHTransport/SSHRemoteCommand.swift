import Foundation
import HypervisorCore

/// A short remote command run to completion (`rm -rf`, `kill`): its exit status and output.
package struct SSHRemoteCommand: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    /// Runs `command`; a non-zero status is returned, not thrown (`check` turns it into an error).
    package static func run(_ command: String, label: String, on connection: SSHConnection,
                    timeout: Duration = .seconds(30)) async throws(SSHError) -> SSHRemoteCommand {
        let channel = try await SSHChannel.exec(command, label: label, on: connection)
        do {
            let (stdout, stderr) = try await drain(channel, until: .now + timeout)
            let status = await channel.exitStatus() ?? -1
            await channel.close()
            return SSHRemoteCommand(status: status, stdout: String(decoding: stdout, as: UTF8.self),
                                    stderr: String(decoding: stderr, as: UTF8.self))
        } catch {
            await channel.close()
            throw error
        }
    }

    /// Throws `remoteCommand` with the stderr tail unless the status is 0.
    @discardableResult
    package func check(_ label: String) throws(SSHError) -> SSHRemoteCommand {
        guard status != 0 else { return self }
        throw .remoteCommand(command: label, status: status, stderrTail: Self.tail(stderr))
    }

    /// Reads stdout and stderr until both end, or throws at the deadline.
    package static func drain(_ channel: SSHChannel, until deadline: ContinuousClock.Instant) async throws(SSHError) -> ([UInt8], [UInt8]) {
        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var outDone = false, errDone = false
        let start = ContinuousClock.now
        while !(outDone && errDone) {
            guard ContinuousClock.now < deadline else {
                throw .timeout(waitingFor: channel.label, seconds: (ContinuousClock.now - start).seconds)
            }
            if !outDone {
                switch try await channel.read(maxBytes: 64 * 1024, waitMilliseconds: 50) {
                case .data(let bytes): stdout += bytes
                case .endOfFile: outDone = true
                case .nothingYet: break
                }
            }
            if !errDone {
                switch try await channel.read(maxBytes: 64 * 1024, stderr: true, waitMilliseconds: outDone ? 50 : 0) {
                case .data(let bytes): stderr += bytes
                case .endOfFile: errDone = true
                case .nothingYet: break
                }
            }
        }
        return (stdout, stderr)
    }

    /// The last lines of a command's stderr on one line, for messages.
    package static func tail(_ text: String, lines: Int = 5) -> String {
        text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: " | ")
    }
}
