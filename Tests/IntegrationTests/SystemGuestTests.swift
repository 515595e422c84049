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
@Suite("Systems of several VMs", .guestSlot, .serialized, .timeLimit(.minutes(8)))
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
                    profile name: String = "avps-2.0") async throws -> (results: [TargetResult], directory: URL) {
        let guest = try await ReferenceGuestFixture.shared.guest()
        let profile = try LoadedProfile.load(Paths.root.appendingPathComponent("Profiles/\(name).yaml"))
        let directory = try Paths.temporaryDirectory(system.name)
        var runner = TargetRunner(hypervisor: QEMUAdapter(cacheDirectory: nil),
                                  boot: BootArtifacts(kernel: guest.kernel.path, initrd: guest.initrd.path,
                                                      kernelCommandLine: guest.baseCommandLine),
                                  timeouts: RunTimeouts(boot: boot))
        runner.isolationFaults = faults
        runner.seed = 0x16
        let outcome = try await runner.run(system, profiles: [profile], artifactDirectory: directory.appendingPathComponent(system.name),
                                           runDirectory: directory)
        #expect(await processesRemaining("avps-\(system.name)/").isEmpty, "a QEMU of \(system.name) is left running")
        return (outcome.results, directory)
    }

    static func systemResult(_ results: [TargetResult], _ name: String) throws -> [String: RequirementResult] {
        let own = try #require(results.first { $0.name == name })
        #expect(own.vms == ["\(name)/a", "\(name)/b"] && own.system == name)
        return Dictionary(uniqueKeysWithValues: own.results.map { ($0.key, $0) })
    }

    @Test func theShippedSystemScoresItsIsolationRequirementsForReal() async throws {
        let (results, directory) = try await Self.run(try Self.shipped("it-sys-ok"))
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(results.map(\.name) == ["it-sys-ok/a", "it-sys-ok/b", "it-sys-ok"])
        #expect(results.allSatisfy { $0.infraError == nil }, "\(results.compactMap(\.infraError))")
        let own = try Self.systemResult(results, "it-sys-ok")
        for key in Self.isolationKeys {
            #expect(own[key]?.verdict == .pass, "\(key): \(own[key]?.reason ?? "missing")")
        }
        #expect(own["AVPS2-WDT-05"]?.evidence.contains("system: watchdog_isolation.sibling_disturbed.host_owner_reset = true") == true)
        for vm in results.dropLast() {
            #expect(!vm.results.contains { Self.isolationKeys.contains($0.key) }, "a VM's result leaves the pair's requirements out")
            #expect(vm.results.contains { $0.key == "AVPS2-RNG-01" && $0.verdict == .pass })
        }
        let a = try #require(results.first)
        #expect(a.results.first { $0.key == "AVPS2-WDT-04" }?.verdict == .pass, "a's own expiry (run by the system stage) is in a's result")
    }

    // negative-control: AVPS2-NET-06, AVPS2-STOR-09, AVPS2-WDT-05, AVPS2-FS-04 -- one disk file and one 9p directory behind both VMs, a link that loops each VM's frames back to itself, a watchdog expiry that resets the sibling too
    @Test func everyIsolationBrokenForRealFailsEachCheck() async throws {
        let (results, directory) = try await Self.run(try Self.shipped("it-sys-leak"),
                                                      faults: [.sharedDisk, .sharedShare, .severedNetwork, .systemWideWatchdog])
        defer { try? FileManager.default.removeItem(at: directory) }
        let own = try Self.systemResult(results, "it-sys-leak")
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
        let a = try #require(results.first { $0.name == "it-sys-half/a" })
        let b = try #require(results.first { $0.name == "it-sys-half/b" })
        let own = try #require(results.first { $0.name == "it-sys-half" })
        #expect(a.infraError == nil, "\(a.infraError ?? "")")
        #expect(a.results.filter { $0.verdict == .pass }.count > 20, "the first VM keeps what it earned")
        #expect(b.infraError?.contains("agent ready") == true, "\(b.infraError ?? "none")")
        #expect(own.infraError?.contains("it-sys-half/b") == true, "\(own.infraError ?? "none")")
        #expect(own.results.allSatisfy { $0.verdict == .infra || $0.verdict == .skipped }, "\(own.results.map { "\($0.key) \($0.verdict)" })")
        #expect(own.results.contains { $0.verdict == .infra && $0.reason.contains("it-sys-half/b") })
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
