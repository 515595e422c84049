import Foundation
@testable import HypervisorCore
@testable import SSHTransport
import Testing

/// A remote command over a real OpenSSH server: it has a deadline on both ends (avps stops
/// waiting, the remote host's `timeout` kills it) and its output is kept as bounded tails.
@Suite("ssh remote commands", .guestSlot, .timeLimit(.minutes(6)))
struct SSHRemoteCommandTests {
    @Test("a remote command past its deadline is a timeout naming it, and nothing of it keeps running on the remote host")
    func deadline() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let connection = try await SSHConnection.open(server.spec(knownHosts: try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])))
        let marker = "avps-remote-deadline-\(UUID().uuidString.prefix(8))"
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await SSHRemoteCommand.run("sleep 60 # \(marker)", label: "test sleeper", on: connection, timeout: .seconds(1))
            Issue.record("a 60 s command returned within a 1 s deadline")
        } catch {
            #expect("\(error)".contains("timed out") && "\(error)".contains("test sleeper"), "\(error)")
        }
        #expect(clock.now - start < .seconds(5), "avps waited \(clock.now - start)")
        // The remote `timeout` ends it one second after the deadline (TERM; KILL 2 s later).
        var left = HostilePlatform.pgrep(marker)
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = HostilePlatform.pgrep(marker)
        }
        #expect(left.isEmpty, "remote processes left: \(left)")
        HostilePlatform.killLeftovers(left)

        // Megabytes of output: only the tails are kept.
        let chatty = try await SSHRemoteCommand.run("yes x | head -c 3000000; echo END", label: "chatty", on: connection)
        #expect(chatty.status == 0 && chatty.stdout.utf8.count == SSHRemoteCommand.outputLimit && chatty.stdout.hasSuffix("x\nEND\n"),
                "\(chatty.stdout.utf8.count) bytes kept")
        await connection.close()
    }
}
