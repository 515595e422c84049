import AVPSModel
import AVPSProfiles
import Foundation
import Runner
import Testing

/// The external contract run on another host over SSH (`external.remote`), against a throwaway
/// `sshd -D` on 127.0.0.1: QEMU is the "vendor hypervisor", started remotely by its own argument
/// list. Target names are unique per test, so the leftover checks see only their own processes.
@Suite("remote external adapter", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct RemoteExternalTests {
    /// The shipped external QEMU target, named `name`, optionally run through `server`.
    func target(_ name: String, server: TestSSHServer?, knownHosts: String = "", identity: String? = nil) throws -> TargetSpec {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu.yaml"))
        var target = try #require(suite.targets.first)
        target.name = name
        if let server {
            target.external?.remote = ExternalRemote(ssh: server.spec(knownHosts: knownHosts, identity: identity))
        }
        return target
    }

    @Test("QEMU started remotely through the external contract scores what the direct external target scores")
    func remoteMatchesDirect() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        async let remoteRun = runTarget(try target("it-rext", server: server, knownHosts: knownHosts))
        async let directRun = runTarget(try target("it-rext-direct", server: nil))
        let (remoteOutcome, runDirectory) = try await remoteRun
        let (directOutcome, _) = try await directRun
        let seenRemote = try AdapterInteropTests().inventory(remoteOutcome)
        #expect(seenRemote.keys.sorted() == [2, 3, 4])
        #expect(seenRemote == (try AdapterInteropTests().inventory(directOutcome)))
        let result = try #require(remoteOutcome.results.first)
        let direct = try #require(directOutcome.results.first)
        let verdicts = Dictionary(result.results.map { ($0.key, $0.verdict) }, uniquingKeysWith: { a, _ in a })
        let directVerdicts = Dictionary(direct.results.map { ($0.key, $0.verdict) }, uniquingKeysWith: { a, _ in a })
        let differing = verdicts.keys.filter { verdicts[$0] != directVerdicts[$0] }.sorted()
        #expect(differing.isEmpty, "verdicts differ: \(differing.map { "\($0) remote \(verdicts[$0].map { "\($0)" } ?? "-") direct \(directVerdicts[$0].map { "\($0)" } ?? "-")" })")
        print("remote external stages: " + result.stages.map { "\($0.stage) \(String(format: "%.2f", $0.duration)) s" }.joined(separator: ", "))
        #expect(Array(result.commandLine.prefix(3)) == ["ssh", "root@127.0.0.1:\(server.port)", "qemu-system-x86_64"])
        let directory = try #require(remoteDirectory(result.commandLine))
        #expect(result.commandLine.contains("\(directory)/kernel") && !result.commandLine.contains { $0.contains("{") })
        // The serial log was written remotely and fetched into the run's artifacts.
        let serial = try String(contentsOf: runDirectory.appendingPathComponent("it-rext/serial.log"), encoding: .utf8)
        #expect(serial.contains("avps-agent: powering off"), "\(serial.suffix(400))")
        try await expectNothingLeft("it-rext", commandLine: result.commandLine, server: server)
    }

    @Test("a TCP agent channel on the remote host is forwarded back (direct-tcpip)")
    func tcpChannel() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        var spec = try target("it-rext-tcp", server: server, knownHosts: knownHosts)
        let port = try TestSSHServer.freePort()
        let unixChardev = "socket,id=agent,path={workspace}/agent.sock,server=on,wait=off"
        var external = try #require(spec.external)
        #expect(external.start.contains(unixChardev))
        // `-pidfile` keeps the remote directory in the recorded command line for the leftover check.
        external.start = external.start.map {
            $0 == unixChardev ? "socket,id=agent,host=127.0.0.1,port=\(port),server=on,wait=off" : $0
        } + ["-pidfile", "{workspace}/qemu.pid"]
        external.channel = .tcp(host: "127.0.0.1", port: port)
        spec.external = external
        let (outcome, _) = try await runTarget(spec)
        #expect(try AdapterInteropTests().inventory(outcome).keys.sorted() == [2, 3, 4])
        try await expectNothingLeft("it-rext-tcp", commandLine: outcome.results.first?.commandLine ?? [], server: server)
    }

    @Test("a hybrid-vsock channel on the remote host is forwarded back, CONNECT over the SSH channel")
    func hybridVsockChannel() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu-vsock.yaml"))
        var spec = try #require(suite.targets.first)
        spec.name = "it-rext-hvsock"
        // The "remote" host is this one, so our vsockd binary is there by its path.
        var external = try #require(spec.external)
        external.start = external.start.map { $0 == "{avps}" ? CLITests.binary.path : $0 }
        external.remote = ExternalRemote(ssh: server.spec(knownHosts: knownHosts))
        spec.external = external
        let (outcome, _) = try await runTarget(spec)
        #expect(try AdapterInteropTests().inventory(outcome).keys.sorted() == [4, 19])
        let commandLine = outcome.results.first?.commandLine ?? []
        try await expectNothingLeft("it-rext-hvsock", commandLine: commandLine, server: server)
        #expect(processesMentioning("vsockd --socket /tmp/avps-ext-").isEmpty, "vsockd left running")
    }

    @Test("an unknown host key is INFRA at 'ssh connected'; nothing is recorded, started or left")
    func unknownHostKey() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [])
        let (outcome, _) = try await runTarget(try target("it-rext-unknown", server: server, knownHosts: knownHosts))
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'ssh connected' failed") && infra.contains("unknown host key for [127.0.0.1]:\(server.port)"), "\(infra)")
        #expect(infra.contains(try server.hostKeyFingerprint), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).isEmpty)
        try await expectNothingLeft("it-rext-unknown", commandLine: result.commandLine, server: server)
    }

    @Test("a key the server refuses is INFRA naming the login and the key file")
    func authenticationFails() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let stranger = server.directory.appendingPathComponent("stranger_key").path
        let (outcome, _) = try await runTarget(try target("it-rext-auth", server: server, knownHosts: knownHosts, identity: stranger))
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("authentication failed for root@127.0.0.1:\(server.port) with identity \(stranger)"), "\(infra)")
        try await expectNothingLeft("it-rext-auth", commandLine: result.commandLine, server: server)
    }

    @Test("a start command missing on the remote host is INFRA with its exit status and the remote shell's words")
    func startCommandMissing() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        var spec = try target("it-rext-missing", server: server, knownHosts: knownHosts)
        spec.external?.start[0] = "/opt/vendor/bin/hv-nope"
        let (outcome, _) = try await runTarget(spec)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'hypervisor started' failed"), "\(infra)")
        #expect(infra.contains("exited with status 127") && infra.contains("/opt/vendor/bin/hv-nope: not found on the remote host"),
                "\(infra)")
        try await expectNothingLeft("it-rext-missing", commandLine: result.commandLine, server: server)
    }

    @Test("a channel that never appears remotely is INFRA naming it; the remote start command is swept, nothing left")
    func channelNeverAppears() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        // An unusual duration marks this process alone; sh -c forks, so the sweep must find the child
        // by its marker. `{workspace}` (sh's $0) puts the remote directory in the recorded command line.
        let spec = ExternalSpec(start: ["sh", "-c", "sleep 300.0518; true", "{workspace}"], channel: .unix(path: "{workspace}/never.sock"),
                                remote: ExternalRemote(ssh: server.spec(knownHosts: knownHosts)))
        let target = TargetSpec(name: "it-rext-nochannel", adapter: "external", devices: [.entropy], external: spec)
        let (outcome, _) = try await runTarget(target, controlTimeout: .seconds(5))
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("never.sock") && infra.contains("never appeared") && infra.contains("127.0.0.1:\(server.port)"), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(await processesRemaining("sleep 300.0518").isEmpty, "the remote start command's child was left running")
        try await expectNothingLeft("it-rext-nochannel", commandLine: result.commandLine, server: server)
    }

    @Test("avps killed with SIGKILL mid-run: sshd ends the supervisor and the janitor, which sweep QEMU and remove the directory")
    func avpsKilledLeavesNothingRemote() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let shipped = try String(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu.yaml"), encoding: .utf8)
        let remote = "      remote: {host: 127.0.0.1, port: \(server.port), user: root, identity: \(server.clientKey), known_hosts: \(knownHosts)}\n"
        let suite = server.directory.appendingPathComponent("kill.yaml")
        try Data((shipped.replacingOccurrences(of: "name: external-qemu\n    adapter", with: "name: it-rext-kill\n    adapter")
                  + remote).utf8).write(to: suite)
        let out = server.directory.appendingPathComponent("run")
        _ = try await CLITests.avps(["guest", "build"])
        let run = try await CLITests.avps(["run", suite.path, "--out", out.path], interruptAfter: 0.3, signal: SIGKILL,
                                          interruptWhen: { !processesMentioning("-name avps-it-rext-kill ").isEmpty })
        #expect(run.status == SIGKILL, "avps finished before the kill: \(run.stdout)")
        let commandLine = try String(contentsOf: out.appendingPathComponent("it-rext-kill/qemu-cmdline.txt"), encoding: .utf8)
        try await expectNothingLeft("it-rext-kill", commandLine: commandLine.split(separator: " ").map(String.init), server: server,
                                    grace: .seconds(20))
    }

    /// `<remote_dir>/avps-ext-XXXXXX`, from the `{workspace}/agent.sock` argument of the recorded command line.
    func remoteDirectory(_ commandLine: [String]) -> String? {
        guard let argument = commandLine.first(where: { $0.contains("/tmp/avps-ext-") }),
              let range = argument.range(of: "/tmp/avps-ext-") else { return nil }
        return "/tmp/avps-ext-" + argument[range.upperBound...].prefix { $0.isLetter || $0.isNumber }
    }

    /// No QEMU of this target, no remote or local directory, and after the server stops, no sshd
    /// process of it. sshd needs a moment to notice a dropped connection: waits up to `grace`.
    private func expectNothingLeft(_ name: String, commandLine: [String], server: TestSSHServer,
                                   grace: Duration = .seconds(5)) async throws {
        // Every launch plans its remote directory, also those refused before connecting.
        let directory = try #require(remoteDirectory(commandLine), "no remote directory in \(commandLine)")
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline,
              !processesMentioning("-name avps-\(name) ").isEmpty || FileManager.default.fileExists(atPath: directory) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(processesMentioning("-name avps-\(name) ").isEmpty, "QEMU of \(name) left running")
        #expect(!FileManager.default.fileExists(atPath: directory), "remote directory \(directory) left")
        let local = directory.replacingOccurrences(of: "avps-ext-", with: "avps-")
        #expect(!FileManager.default.fileExists(atPath: local), "local workspace \(local) left")
        server.stop()
        #expect(processesMentioning(server.directory.path).isEmpty, "sshd left running")
        #expect(!FileManager.default.fileExists(atPath: server.directory.path))
    }
}
