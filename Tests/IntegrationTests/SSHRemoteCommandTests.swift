import Foundation
@testable import HypervisorCore
@testable import SSHTransport
import Testing

/// A remote command over a real OpenSSH server: it has a deadline on both ends (avps stops
/// waiting, the remote host's `timeout` kills it) and its output is kept as bounded tails.
@Suite("ssh remote commands", .guestSlot(minutes: 6), .timeLimit(.minutes(20)))
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

    @Test("a sparse upload sends only data: holes and zero chunks are skipped, the remote file has the same bytes and length")
    func sparseUpload() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let connection = try await SSHConnection.open(server.spec(knownHosts: try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])))
        // 8 MiB + 100 bytes: a hole, one data chunk at 1 MiB, a written all-zero chunk, data at 5 MiB
        // that straddles a chunk boundary, a trailing hole. The lengths are not chunk multiples on purpose.
        let local = server.directory.appendingPathComponent("sparse.img")
        #expect(FileManager.default.createFile(atPath: local.path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: local.path))
        let chunk = SFTPTransfer.chunk
        try handle.seek(toOffset: 1 << 20)
        try handle.write(contentsOf: Data((0..<chunk).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }))
        try handle.write(contentsOf: Data(count: chunk))
        try handle.seek(toOffset: UInt64(5 << 20) + UInt64(chunk / 2))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: chunk))
        try handle.truncate(atOffset: UInt64(8 << 20) + 100)
        try handle.close()
        let remote = server.directory.appendingPathComponent("uploaded.img")
        let tally = try await SFTPTransfer.run([.upload(local: local.path, remote: remote.path)], on: connection)
        await connection.close()
        #expect(tally.size == (8 << 20) + 100)
        // The first data chunk, the 0xA5 run and the final byte. Where the file system reports holes
        // (SEEK_DATA) the run is an extent of its own, read from its start: one chunk; where it cannot,
        // the file is read in chunks from 0 and the run straddles two.
        #expect([Int64(2 * chunk + 1), Int64(3 * chunk + 1)].contains(tally.sent), "sent \(tally.sent)")
        #expect(try Data(contentsOf: remote) == Data(contentsOf: local))
        let length = try #require(try FileManager.default.attributesOfItem(atPath: remote.path)[.size] as? Int)
        #expect(length == (8 << 20) + 100)
        var status = stat()
        #expect(stat(remote.path, &status) == 0 && Int(status.st_blocks) * 512 < 1 << 20, "the remote file keeps its holes: \(status.st_blocks) blocks")
    }
}
