import AVPSModel
import AVPSProfiles
import Foundation
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing

/// Systems of real TCG guests: the shipped two-VM system scores its four isolation requirements
/// for real, a control run with every isolation broken makes each of them FAIL, a system whose
/// second VM never boots keeps the first VM's verdicts, and SIGKILLing avps while three guests
/// boot leaves nothing behind.
@Suite("Systems of several VMs", .guestSlot(minutes: 8), .serialized, .timeLimit(.minutes(20)))
struct SystemGuestTests {
    static let isolationKeys = ["AVPS2-NET-06", "AVPS2-STOR-09", "AVPS2-WDT-05", "AVPS2-FS-04"]

    /// The shipped system, renamed so concurrent runs cannot mix their processes up.
    static func shipped(_ name: String) throws -> TargetSpec {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/system-two-vms.yaml"))
        let text = try String(contentsOf: Paths.root.appendingPathComponent("Suites/targets/system-two-vms.yaml"), encoding: .utf8)
        let renamed = try SuiteLoader.load(yaml: text.replacingOccurrences(of: "name: two-vms", with: "name: \(name)")
            .replacingOccurrences(of: "accelerator: auto", with: "accelerator: tcg"), file: "system.yaml")
        #expect(suite.targets.first?.isSystem == true)
        return try #require(renamed.targets.first)
    }

    static func run(_ system: TargetSpec, faults: IsolationFaults = [], boot: Duration = .seconds(120),
                    profiles names: [String] = ["avps-2.0", "automotive-extras"]) async throws -> (results: [TargetResult], directory: URL) {
        let guest = try await ReferenceGuestFixture.shared.guest()
        let profiles = try names.map { try LoadedProfile.load(Paths.root.appendingPathComponent("Profiles/\($0).yaml")) }
        let directory = try Paths.temporaryDirectory(system.name)
        var runner = TargetRunner(hypervisor: QEMUAdapter(cacheDirectory: nil),
                                  boot: BootArtifacts(kernel: guest.kernel.path, initrd: guest.initrd.path,
                                                      kernelCommandLine: guest.baseCommandLine),
                                  timeouts: RunTimeouts(boot: boot))
        runner.isolationFaults = faults
        runner.seed = 0x16
        let outcome = try await runner.run(system, profiles: profiles, artifactDirectory: directory.appendingPathComponent(system.name),
                                           runDirectory: directory)
        #expect(await processesRemaining("avps-\(system.name)/").isEmpty, "a QEMU of \(system.name) is left running")
        return (outcome.results, directory)
    }

    /// The system's own rows over every profile of the run.
    static func systemResult(_ results: [TargetResult], _ name: String) throws -> [String: RequirementResult] {
        let own = results.filter { $0.name == name }
        try #require(!own.isEmpty)
        #expect(own.allSatisfy { $0.vms == ["\(name)/a", "\(name)/b"] && $0.system == name })
        return Dictionary(uniqueKeysWithValues: own.flatMap(\.results).map { ($0.key, $0) })
    }

    @Test func theShippedSystemScoresItsIsolationRequirementsForReal() async throws {
        let (results, directory) = try await Self.run(try Self.shipped("it-sys-ok"))
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(results.map(\.name) == ["it-sys-ok/a", "it-sys-ok/a", "it-sys-ok/b", "it-sys-ok/b", "it-sys-ok", "it-sys-ok"],
                "each VM's then the system's result, per profile")
        #expect(results.allSatisfy { $0.infraError == nil }, "\(results.compactMap(\.infraError))")
        let own = try Self.systemResult(results, "it-sys-ok")
        for key in Self.isolationKeys + ["AUTO-SYS-01"] {
            #expect(own[key]?.verdict == .pass, "\(key): \(own[key]?.reason ?? "missing")")
        }
        #expect(own["AVPS2-WDT-05"]?.evidence.contains("system: watchdog_isolation.sibling_disturbed.host_owner_reset = true") == true)
        let restart = own["AUTO-SYS-01"]?.evidence ?? []
        let observations = results.first { $0.name == "it-sys-ok" }?.systemObservations ?? [:]
        let fact = { (name: String) in observations["restart_isolation.sibling_disturbed.\(name)"] }
        #expect(fact("reset_to_agent_seconds") != nil && fact("owner_answers_before_reset").map { $0 != .int(0) } == true,
                "a was reset mid-traffic and came back: \(restart)")
        #expect(fact("b_host_echo_sent").map { $0 != .int(0) } == true && fact("b_host_echo_lost") == .int(0), "b's NIC to the host was exercised: \(restart)")
        #expect(fact("peer_link") == .bool(true), "the network link carries b's echo to the restarted a: \(restart)")
        print("restart isolation: " + observations.filter { $0.key.hasPrefix("restart_isolation.") }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))
        for vm in results where vm.name != "it-sys-ok" {
            #expect(!vm.results.contains { Self.isolationKeys.contains($0.key) || $0.key == "AUTO-SYS-01" }, "a VM's result leaves the pair's requirements out")
        }
        #expect(results.contains { $0.name == "it-sys-ok/a" && $0.results.contains { $0.key == "AVPS2-RNG-01" && $0.verdict == .pass } })
        let a = results.filter { $0.name == "it-sys-ok/a" }.flatMap(\.results)
        #expect(a.first { $0.key == "AVPS2-WDT-04" }?.verdict == .pass, "a's own expiry (run by the system stage) is in a's result")
    }

    // negative-control: AVPS2-NET-06, AVPS2-STOR-09, AVPS2-WDT-05, AVPS2-FS-04 -- one disk file and one 9p directory behind both VMs, a link that loops each VM's frames back to itself, a watchdog expiry that resets the sibling too
    // negative-control: AUTO-SYS-01 -- the restart of a power-cycles b too (QMP system_reset of every VM): b's boot id changes
    @Test func everyIsolationBrokenForRealFailsEachCheck() async throws {
        let (results, directory) = try await Self.run(try Self.shipped("it-sys-leak"),
                                                      faults: [.sharedDisk, .sharedShare, .severedNetwork, .systemWideWatchdog, .systemWideRestart])
        defer { try? FileManager.default.removeItem(at: directory) }
        let own = try Self.systemResult(results, "it-sys-leak")
        #expect(own["AUTO-SYS-01"]?.verdict == .fail, "\(own["AUTO-SYS-01"]?.reason ?? "missing")")
        let restart = own["AUTO-SYS-01"]?.evidence ?? []
        #expect(restart.contains("system: restart_isolation.sibling_disturbed.b_boot_id_changed = true")
                && !restart.contains("system: restart_isolation.sibling_disturbed.b_unanswered = 0"), "b was reset, its session broke: \(restart)")
        for key in Self.isolationKeys {
            #expect(own[key]?.verdict == .fail, "\(key): \(own[key]?.verdict.rawValue ?? "missing"): \(own[key]?.reason ?? "")")
        }
        #expect(own["AVPS2-STOR-09"]?.evidence.contains("system: storage_isolation.secret_found.b_reads_a = true") == true)
    }

    @Test func aSecondVMThatNeverBootsIsInfraNamingItAndTheFirstKeepsItsVerdicts() async throws {
        var system = try Self.shipped("it-sys-half")
        system.vms[1].kernelAppend.append("avps.agent=off")
        let (results, directory) = try await Self.run(system, boot: .seconds(25))
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try #require(results.first { $0.name == "it-sys-half/a" && $0.profile.id == "avps-2.0" })
        let b = try #require(results.first { $0.name == "it-sys-half/b" })
        let own = try #require(results.first { $0.name == "it-sys-half" && $0.profile.id == "avps-2.0" })
        #expect(a.infraError == nil, "\(a.infraError ?? "")")
        #expect(a.results.filter { $0.verdict == .pass }.count > 20, "the first VM keeps what it earned")
        #expect(b.infraError?.contains("agent ready") == true, "\(b.infraError ?? "none")")
        #expect(own.infraError?.contains("it-sys-half/b") == true, "\(own.infraError ?? "none")")
        #expect(own.results.allSatisfy { $0.verdict == .infra || $0.verdict == .skipped }, "\(own.results.map { "\($0.key) \($0.verdict)" })")
        #expect(own.results.contains { $0.verdict == .infra && $0.reason.contains("it-sys-half/b") })
    }

    /// Scale: four 256 MiB guests on this machine's 2 cores boot together and score, and their
    /// one network link (a QEMU multicast socket on loopback for more than two VMs) is one segment:
    /// a broadcast from a reaches b, c and d, each echoing every datagram.
    @Test func fourGuestsOnTwoCoresComeUpAndABroadcastReachesEveryVM() async throws {
        let system = try Self.segment("it-sys-four", vms: ["a", "b", "c", "d"])
        let started = ContinuousClock.now
        let (results, directory) = try await Self.run(system, profiles: ["avps-2.0"])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(results.map(\.name) == ["it-sys-four/a", "it-sys-four/b", "it-sys-four/c", "it-sys-four/d", "it-sys-four"])
        #expect(results.allSatisfy { $0.infraError == nil }, "\(results.compactMap(\.infraError))")
        for vm in results.dropLast() {
            #expect(vm.results.contains { $0.key == "AVPS2-RNG-01" && $0.verdict == .pass }, "\(vm.name) scored its own rows")
        }
        let own = try #require(results.last)
        let observations = own.systemObservations ?? [:]
        let row = own.results.first { $0.key == "AVPS2-NET-06" }
        #expect(row?.verdict == .pass, "\(row?.reason ?? "missing"): \(observations)")
        #expect(observations["network_link.delivered.responders"] == .int(3), "\(observations)")
        for vm in ["b", "c", "d"] {
            #expect(observations["network_link.delivered.\(vm)_echoed"] == .int(Int64(20)), "\(vm) heard every broadcast: \(observations)")
        }
        let boots = results.dropLast().compactMap { result in
            result.stages.first { $0.stage == "agent ready" }.map { $0.startedAt + $0.duration }
        }
        print("four guests on 2 cores: wall \(ContinuousClock.now - started), last agent ready \(boots.max() ?? -1), "
              + "broadcast rtt avg \(observations["network_link.delivered.rtt_avg_ms"].map { "\($0)" } ?? "-") ms")
    }

    // negative-control: AVPS2-NET-06 -- three VMs on one network link, each QEMU in a multicast group of its own: a's broadcasts reach nobody
    @Test func aSegmentSplitIntoOwnGroupsFailsTheBroadcast() async throws {
        let (results, directory) = try await Self.run(try Self.segment("it-sys-split", vms: ["a", "b", "c"]),
                                                      faults: [.severedNetwork], profiles: ["avps-2.0"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let own = try #require(results.last)
        let observations = own.systemObservations ?? [:]
        let row = own.results.first { $0.key == "AVPS2-NET-06" }
        #expect(row?.verdict == .fail, "\(row?.verdict.rawValue ?? "missing"): \(row?.reason ?? "") \(observations)")
        #expect(observations["network_link.delivered.responders"] == .int(0), "\(observations)")
    }

    /// A system of small guests (one entropy device each) on one network link joining them all.
    static func segment(_ name: String, vms: [String]) throws -> TargetSpec {
        let yaml = """
            schema: 1
            name: segment
            profiles: [avps-2.0]
            targets:
              - name: \(name)
                accelerator: tcg
                vms:
            \(vms.map { "      - {name: \($0), devices: [entropy]}" }.joined(separator: "\n"))
                links:
                  - {kind: network, vms: [\(vms.joined(separator: ", "))]}
            """
        return try #require(try SuiteLoader.load(yaml: yaml, file: "\(name).yaml").targets.first)
    }

    @Test func sigkillWhileThreeGuestsBootLeavesNothing() async throws {
        let directory = try Paths.temporaryDirectory("it-sys-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let suite = directory.appendingPathComponent("kill3.yaml")
        try Data("""
            schema: 1
            name: kill3
            profiles: [avps-2.0]
            targets:
              - name: it-sys-kill3
                accelerator: tcg
                vms:
                  - {name: a, devices: [{block: {size_mib: 8}}]}
                  - {name: b, devices: [entropy]}
                  - {name: c, devices: [entropy]}
                links:
                  - {kind: network, vms: [a, b, c]}
                  - {kind: shared-memory, vms: [a, b, c], size_mib: 1}
            """.utf8).write(to: suite)
        _ = try await CLITests.avps(["guest", "build"])
        let out = directory.appendingPathComponent("run")
        let run = try await CLITests.avps(["run", suite.path, "--out", out.path], interruptAfter: 3.5, signal: SIGKILL)
        #expect(run.status == SIGKILL, "avps was still booting the guests: status \(run.status)")
        var leftovers: [String] = []
        for vm in ["a", "b", "c"] {
            let line = (try? String(contentsOf: out.appendingPathComponent("it-sys-kill3/\(vm)/qemu-cmdline.txt"), encoding: .utf8)) ?? ""
            #expect(!line.isEmpty, "VM \(vm)'s command line was recorded before it started")
            // Every /tmp/avps-XXXXXX directory the command line names: the VM's workspace and the system's shared one.
            let pattern = try Regex("/tmp/avps-[A-Za-z0-9]{6}")
            leftovers += line.matches(of: pattern).map { String(line[$0.range]) }
        }
        let dirs = Set(leftovers)
        #expect(dirs.count >= 4, "three VM workspaces and the shared directory: \(dirs)")
        for _ in 0..<100 {
            let busy = !processesMentioning("avps-it-sys-kill3").isEmpty || dirs.contains { FileManager.default.fileExists(atPath: $0) }
                || dirs.contains { !processesMentioning($0).isEmpty }
            if !busy { break }
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(processesMentioning("avps-it-sys-kill3").isEmpty, "a QEMU survived")
        for dir in dirs {
            #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) survived")
            #expect(processesMentioning(dir).isEmpty, "a process using \(dir) (vsock backend) survived")
        }
    }
}
