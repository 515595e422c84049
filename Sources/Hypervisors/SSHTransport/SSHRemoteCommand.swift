import Foundation
import HypervisorCore

/// A short remote command run to completion (`rm -rf`, `kill`): its exit status and output.
///
/// Every one has a deadline on both ends: avps stops waiting at it (`SSHError.timeout` naming the
/// command, so the target is INFRA and the run carries on), and the remote host's `timeout`
/// kills the command a moment later, so nothing it started keeps running there. What it prints
/// is kept as bounded tails (`outputLimit` per stream), whatever it sends.
package struct SSHRemoteCommand: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    /// Runs `command`; a non-zero status is returned, not thrown (`check` turns it into an error).
    package static func run(_ command: String, label: String, on connection: SSHConnection,
                    timeout: Duration = .seconds(30)) async throws(SSHError) -> SSHRemoteCommand {
        let channel = try await SSHChannel.exec(bounded(command, timeout), label: label, on: connection)
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

    /// Bytes kept of each of stdout and stderr (the last ones).
    static let outputLimit = 64 * 1024

    /// `command` under the remote host's coreutils `timeout` (TERM at the deadline plus one
    /// second, KILL two seconds later), or as it is where the remote host has no `timeout`.
    static func bounded(_ command: String, _ deadline: Duration) -> String {
        let seconds = Int(deadline.seconds.rounded(.up)) + 1
        let quoted = ShellQuoting.quote(command)
        return "if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 \(seconds) /bin/sh -c \(quoted); else exec /bin/sh -c \(quoted); fi"
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
                case .data(let bytes): keepTail(&stdout, bytes)
                case .endOfFile: outDone = true
                case .nothingYet: break
                }
            }
            if !errDone {
                switch try await channel.read(maxBytes: 64 * 1024, stderr: true, waitMilliseconds: outDone ? 50 : 0) {
                case .data(let bytes): keepTail(&stderr, bytes)
                case .endOfFile: errDone = true
                case .nothingYet: break
                }
            }
        }
        return (stdout, stderr)
    }

    /// Appends `bytes`, keeping only the last `outputLimit` bytes.
    static func keepTail(_ kept: inout [UInt8], _ bytes: [UInt8]) {
        kept += bytes
        if kept.count > outputLimit { kept.removeFirst(kept.count - outputLimit) }
    }

    /// The last lines of a command's stderr on one line, for messages.
    package static func tail(_ text: String, lines: Int = 5) -> String {
        text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: " | ")
    }
}
