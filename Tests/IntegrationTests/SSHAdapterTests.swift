import AVPSModel
import AVPSProfiles
import Foundation
import HypervisorCore
import SSHHypervisor
import Runner
import Testing

/// The ssh adapter against a real OpenSSH server on 127.0.0.1 (a throwaway `sshd -D` per test),
/// running QEMU "remotely" on this same machine. Target names are unique per test, so the
/// leftover checks see only their own QEMU, sshd and directories.
@Suite("ssh adapter", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct SSHAdapterTests {
    @Test("the reference guest run remotely over SSH sees the same devices and features as direct QEMU")
    func remoteMatchesDirect() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let devices: [DeviceSpec] = [.entropy, .block(sizeMiB: 16), .net, .console, .balloon, .keyboard]
        // The remote disk is declared scratch, so the write tests run over SSH too; the remote
        // watchdog expires (the destructive test), observed through QMP in the tunnel.
        var remoteDevices = devices + [.watchdog(expiry: WatchdogExpiry(seconds: 1))]
        remoteDevices[1] = .block(sizeMiB: 16, scratch: true)
        let remote = TargetSpec(name: "it-ssh", adapter: "ssh", accelerator: "tcg", devices: remoteDevices,
                                ssh: server.spec(knownHosts: knownHosts))
        let direct = TargetSpec(name: "it-ssh-direct", accelerator: "tcg", devices: devices, agentChannel: .virtioSerial)
        async let remoteRun = runTarget(remote)
        async let directRun = runTarget(direct)
        let (remoteOutcome, runDirectory) = try await remoteRun
        let (directOutcome, _) = try await directRun
        let seenRemote = try AdapterInteropTests().inventory(remoteOutcome)
        let seenDirect = try AdapterInteropTests().inventory(directOutcome)
        #expect(seenRemote.keys.sorted() == [1, 2, 3, 4, 5, 18])
        #expect(seenRemote == seenDirect)
        #expect(remoteOutcome.expectedVirtioDevices == directOutcome.expectedVirtioDevices)
        let result = try #require(remoteOutcome.results.first)
        print("ssh adapter stages: " + result.stages.map { "\($0.stage) \(String(format: "%.2f", $0.duration)) s" }.joined(separator: ", "))
        #expect(Array(result.commandLine.prefix(3)) == ["ssh", "root@127.0.0.1:\(server.port)", "qemu-system-x86_64"])
        for key in ["AVPS2-STOR-05", "AVPS2-STOR-10", "AVPS2-WDT-04"] {
            let row = result.results.first { $0.key == key }
            #expect(row?.verdict == .pass, "\(key) on a scratch disk and an expiring watchdog over ssh: \(row?.reason ?? "absent")")
        }
        #expect(result.evidence?.hostObservations["watchdog_expiry_event"] == .bool(true), "the QMP WATCHDOG event came through the tunnel")
        // QMP came back through the tunnel too: QEMU's own view of the devices was recorded.
        let observed = try #require(result.evidence?.hostObservations["qemu.virtio_devices"])
        #expect(observed == directOutcome.results.first?.evidence?.hostObservations["qemu.virtio_devices"])
        // The serial log was fetched from the remote directory into the run's artifacts.
        let serial = try String(contentsOf: runDirectory.appendingPathComponent("it-ssh/serial.log"), encoding: .utf8)
        #expect(serial.contains("avps-agent: powering off"), "\(serial.suffix(400))")
        try expectNothingLeft("it-ssh", commandLine: result.commandLine, server: server)
    }

    @Test("a host key that differs from known_hosts refuses the connection: INFRA naming the mismatch")
    func hostKeyMismatch() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.strangerKnownHostsLine])
        let target = TargetSpec(name: "it-ssh-mismatch", adapter: "ssh", accelerator: "tcg", devices: [.entropy],
                                ssh: server.spec(knownHosts: knownHosts, acceptNew: true))  // accept-new never overrides a mismatch
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'ssh connected' failed") && infra.contains("HOST KEY MISMATCH"), "\(infra)")
        #expect(infra.contains(try server.hostKeyFingerprint) && infra.contains(knownHosts), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8) == (try server.strangerKnownHostsLine) + "\n")
        try expectNothingLeft("it-ssh-mismatch", commandLine: result.commandLine, server: server)
    }

    @Test("an unknown host key is refused without accept_new_host_key, and nothing is recorded")
    func unknownHostKey() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [])
        let target = TargetSpec(name: "it-ssh-unknown", adapter: "ssh", accelerator: "tcg", devices: [.entropy],
                                ssh: server.spec(knownHosts: knownHosts))
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'ssh connected' failed") && infra.contains("unknown host key for [127.0.0.1]:\(server.port)"), "\(infra)")
        #expect(infra.contains(try server.hostKeyFingerprint) && infra.contains("accept_new_host_key"), "\(infra)")
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).isEmpty)
        try expectNothingLeft("it-ssh-unknown", commandLine: result.commandLine, server: server)
    }

    @Test("a key the server does not accept is INFRA naming the login, the key file and what the server accepts")
    func authenticationFails() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let stranger = server.directory.appendingPathComponent("stranger_key").path
        let target = TargetSpec(name: "it-ssh-auth", adapter: "ssh", accelerator: "tcg", devices: [.entropy],
                                ssh: server.spec(knownHosts: knownHosts, identity: stranger))
        let (outcome, _) = try await runTarget(target)
        let infra = try #require(outcome.results.first?.infraError)
        #expect(infra.contains("authentication failed for root@127.0.0.1:\(server.port) with identity \(stranger)"), "\(infra)")
        #expect(infra.contains("the server accepts: publickey"), "\(infra)")
        try expectNothingLeft("it-ssh-auth", commandLine: outcome.results.first?.commandLine ?? [], server: server)
    }

    @Test("a remote QEMU that is not installed is INFRA with the remote exit status and stderr; a new key is recorded when asked")
    func remoteCommandFails() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [])
        let target = TargetSpec(name: "it-ssh-noqemu", adapter: "ssh", accelerator: "tcg", devices: [.entropy, .block(sizeMiB: 4)],
                                ssh: server.spec(knownHosts: knownHosts, acceptNew: true, qemu: "qemu-system-nope"))
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'hypervisor started' failed"), "\(infra)")
        #expect(infra.contains("exited with status 127") && infra.contains("qemu-system-nope: not found on the remote host"), "\(infra)")
        // accept_new_host_key recorded the key, in a form ssh-keygen finds for this host and port.
        let recorded = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(recorded.contains(try server.knownHostsLine), "\(recorded)")
        try expectNothingLeft("it-ssh-noqemu", commandLine: result.commandLine, server: server)
    }

    @Test("avps killed with SIGKILL while the remote guest runs: the supervisor kills QEMU and removes the remote directory")
    func avpsKilledLeavesNothingRemote() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let suite = server.directory.appendingPathComponent("kill.yaml")
        try Data("""
            schema: 1
            name: ssh-kill
            profiles: [avps-2.0]
            targets:
              - name: it-ssh-kill
                adapter: ssh
                devices: [entropy]
                ssh: {host: 127.0.0.1, port: \(server.port), user: root, identity: \(server.clientKey), known_hosts: \(knownHosts)}
            """.utf8).write(to: suite)
        let out = server.directory.appendingPathComponent("run")
        _ = try await CLITests.avps(["guest", "build"])
        let run = try await CLITests.avps(["run", suite.path, "--out", out.path], interruptAfter: 0.3, signal: SIGKILL,
                                    interruptWhen: { !processesMentioning("-name avps-it-ssh-kill ").isEmpty })
        #expect(run.status == SIGKILL, "avps finished before the kill: \(run.stdout)")
        let commandLine = try String(contentsOf: out.appendingPathComponent("it-ssh-kill/qemu-cmdline.txt"), encoding: .utf8)
        let remote = try #require(workspace(of: commandLine.split(separator: " ").map(String.init)))
        // sshd notices the dropped connection and closes the supervisor's stdin; it needs a moment.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !processesMentioning("-name avps-it-ssh-kill ").isEmpty || FileManager.default.fileExists(atPath: remote) {
            try await Task.sleep(for: .milliseconds(100))
        }
        try expectNothingLeft("it-ssh-kill", commandLine: commandLine.split(separator: " ").map(String.init), server: server)
    }

    @Test("Suites/targets/ssh-localhost.yaml loads, and its remote plan maps the devices like the qemu adapter")
    func shippedTargetFile() async throws {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/ssh-localhost.yaml"))
        let target = try #require(suite.targets.first)
        let ssh = try #require(target.ssh)
        #expect(target.adapter == "ssh" && ssh.host == "localhost" && !ssh.acceptNewHostKey)
        let boot = BootArtifacts(kernel: "/local/vmlinuz", initrd: "/local/initrd", kernelCommandLine: "console=ttyS0")
        let launch = try await SSHAdapter().prepare(target, boot: boot, artifactDirectory: URL(fileURLWithPath: "/tmp/ssh-plan"))
        defer { SSHAdapter().discard(launch) }
        let plan = try #require(launch.adapterPlan as? SSHRemotePlan)
        #expect(plan.uploads.map(\.local) == ["/local/vmlinuz", "/local/initrd"])
        #expect(!launch.commandLine.contains("/local/vmlinuz") && launch.commandLine.contains("\(plan.directory)/kernel"))
        #expect(plan.script.contains("truncate -s 16M \(plan.directory)/disk1.raw"), "\(plan.script)")
    }

    /// No QEMU of this target, no remote or local directory of the launch, and after the server
    /// stops, no sshd process of it.
    private func expectNothingLeft(_ name: String, commandLine: [String], server: TestSSHServer) throws {
        #expect(processesMentioning("-name avps-\(name) ").isEmpty)
        if let remote = workspace(of: commandLine) {
            #expect(!FileManager.default.fileExists(atPath: remote), "remote directory \(remote) left")
            let local = remote.replacingOccurrences(of: "avps-ssh-", with: "avps-")
            #expect(!FileManager.default.fileExists(atPath: local), "local workspace \(local) left")
        }
        server.stop()
        #expect(processesMentioning(server.directory.path).isEmpty, "sshd left running")
        #expect(!FileManager.default.fileExists(atPath: server.directory.path))
    }
}
