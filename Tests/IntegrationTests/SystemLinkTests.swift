import AVPSModel
import AVPSProfiles
import Foundation
import GuestImage
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing

/// A QEMU system of two TCG guests with a vsock link and a shared-memory link, run through the
/// runner like `avps run`: one vsock backend serves both VMs (CIDs 3 and 4), an ivshmem device on
/// each maps one backing file, and the system's own result scores the automotive rows about
/// guest-to-guest vsock (AUTO-VSOCK-02/03) and shared memory (AUTO-SHM-01) from what the system
/// stage measured between the guests.
@Suite("system links: guest-to-guest vsock and shared memory, scored", .guestSlot(minutes: 8), .serialized, .timeLimit(.minutes(20)))
struct SystemLinkTests {
    /// - Parameter vmB: VM b's line (its devices, agent channel).
    static func system(_ name: String, vmB: String = "{ name: b, devices: [entropy] }") throws -> TargetSpec {
        let yaml = """
            schema: 1
            name: links
            profiles: [automotive-extras]
            targets:
              - name: \(name)
                adapter: qemu
                accelerator: tcg
                vms:
                  - { name: a, devices: [entropy] }
                  - \(vmB)
                links:
                  - { kind: vsock, vms: [a, b] }
                  - { kind: shared-memory, vms: [a, b], size_mib: 1 }
            """
        return try #require(try SuiteLoader.load(yaml: yaml, file: "links.yaml").targets.first)
    }

    @Test("vsock and shared-memory links between two guests PASS their rows; nothing left running")
    func linksScored() async throws {
        let (outcome, run) = try await runTarget(try Self.system("it-links"), profiles: ["automotive-extras"])
        let own = try #require(outcome.results.first { $0.name == "it-links" && $0.vms != nil })
        let observations = own.systemObservations ?? [:]
        let verdict = { (key: String) in own.results.first { $0.key == key }?.verdict }
        #expect(own.infraError == nil, "\(own.infraError ?? "")")
        #expect(observations["guest_vsock.echo_intact"] == .bool(true), "\(observations)")
        #expect(observations["shared_memory.pattern_seen"] == .bool(true), "\(observations)")
        #expect(verdict("AUTO-VSOCK-02") == .pass && verdict("AUTO-VSOCK-03") == .pass && verdict("AUTO-SHM-01") == .pass,
                "\(own.results.map { "\($0.key) \($0.verdict) \($0.reason)" })")
        for vm in outcome.results where vm.system == "it-links" && vm.vms == nil {
            let latency = vm.results.first { $0.key == "AUTO-VSOCK-01" }
            #expect(latency?.verdict == .pass, "\(vm.name): \(latency?.reason ?? "absent")")
        }
        print("system links: guest->guest vsock rtt p50 \(observations["guest_vsock.rtt_p50_us"].map { "\($0)" } ?? "-") us; "
              + observations.filter { $0.key.hasPrefix("guest_vsock.echo_intact.") }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))
        let log = try String(contentsOf: run.appendingPathComponent("it-links/vsockd.log"), encoding: .utf8)
        #expect(log.contains("statistics CID 3") && log.contains("statistics CID 4") && log.contains("guest<->guest"), "\(log.suffix(1500))")
        #expect(await processesRemaining("avps-it-links").isEmpty)
    }

    // negative-control: AUTO-VSOCK-02 -- VM b without a vsock device: its CID refuses the link, echo_intact = false
    @Test("negative control: VM b has no vsock device (virtio-serial agent), so the vsock link FAILs, not SKIPs")
    func unreachableSiblingFails() async throws {
        let system = try Self.system("it-links-cut", vmB: "{ name: b, devices: [entropy], agent_channel: virtio-serial }")
        let (outcome, _) = try await runTarget(system, profiles: ["automotive-extras"])
        let own = try #require(outcome.results.first { $0.name == "it-links-cut" && $0.vms != nil })
        let observations = own.systemObservations ?? [:]
        #expect(observations["guest_vsock.echo_intact"] == .bool(false), "\(observations)")
        let fault = observations["guest_vsock.echo_intact.link0.a_to_b.fault"].map { "\($0)" } ?? ""
        #expect(fault.contains("CID 4"), "\(observations)")
        let row = try #require(own.results.first { $0.key == "AUTO-VSOCK-02" })
        #expect(row.verdict == .fail, "\(row.verdict) \(row.reason)")
        #expect(observations["shared_memory.pattern_seen"] == .bool(true), "the other link is unaffected: \(observations)")
        #expect(await processesRemaining("avps-it-links-cut").isEmpty)
    }

    // negative-control: AUTO-VSOCK-03 -- the shared vsock backend holds every guest-to-guest packet 15 ms: all data arrives, slowly
    // negative-control: AUTO-VSOCK-01 -- the same backend holds the host's input to each guest 15 ms: each VM's host round trip is slow
    @Test("negative control: a vsock backend that holds every delivery 15 ms FAILs the round-trip rows, nothing else")
    func slowLinkFails() async throws {
        let system = try Self.system("it-links-slow")
        let (results, _) = try await SystemGuestTests.run(system, faults: [.slowVsock], profiles: ["automotive-extras"])
        let own = try #require(results.first { $0.name == "it-links-slow" && $0.vms != nil })
        let observations = own.systemObservations ?? [:]
        let rows = Dictionary(uniqueKeysWithValues: own.results.map { ($0.key, $0) })
        #expect((observations["guest_vsock.rtt_p50_us"]?.number ?? 0) >= 30_000, "two 15 ms holds per round trip: \(observations)")
        let slow = try #require(rows["AUTO-VSOCK-03"])
        #expect(slow.verdict == .fail && slow.reason.contains("rtt_p50_us"), "\(slow.verdict) \(slow.reason)")
        // No collateral: the data still arrives intact, and the shared-memory link is untouched.
        #expect(rows["AUTO-VSOCK-02"]?.verdict == .pass && rows["AUTO-SHM-01"]?.verdict == .pass,
                "\(own.results.map { "\($0.key) \($0.verdict) \($0.reason)" })")
        // Each VM's host round trip (its agent's bulk port, through the same backend) is held too.
        for vm in results where vm.system == "it-links-slow" && vm.vms == nil {
            let held = vm.results.filter { [.fail, .error, .infra].contains($0.verdict) }.map { "\($0.key) \($0.verdict.rawValue) \($0.reason)" }
            #expect(held.count == 1 && held.first?.hasPrefix("AUTO-VSOCK-01 FAIL") == true && held.first?.contains("vsock_rtt_us") == true,
                    "\(vm.name): only the host round trip may fail: \(held)")
        }
        #expect(await processesRemaining("avps-it-links-slow").isEmpty)
        let hostRTT = results.compactMap { $0.evidence?.hostObservations["vsock_rtt_us"].map { "\($0)" } }
        print("slow vsock link: guest->guest rtt p50 \(observations["guest_vsock.rtt_p50_us"].map { "\($0)" } ?? "-") us, host->guest rtt \(hostRTT) us")
    }

    // negative-control: AUTO-VSOCK-02, AUTO-SHM-01 -- a vsock backend per VM (no route between the CIDs) and an ivshmem backing file per VM
    @Test("negative controls: a vsock backend per VM and a backing file per VM make both link rows FAIL")
    func severedLinksFail() async throws {
        let system = try Self.system("it-links-severed")
        let (results, _) = try await SystemGuestTests.run(system, faults: [.severedVsock, .separateSharedMemory],
                                                          profiles: ["automotive-extras"])
        let own = try #require(results.first { $0.name == "it-links-severed" && $0.vms != nil })
        let observations = own.systemObservations ?? [:]
        #expect(observations["guest_vsock.echo_intact"] == .bool(false), "\(observations)")
        #expect(observations["shared_memory.pattern_seen"] == .bool(false), "\(observations)")
        let verdicts = Dictionary(uniqueKeysWithValues: own.results.map { ($0.key, $0.verdict) })
        #expect(verdicts["AUTO-VSOCK-02"] == .fail && verdicts["AUTO-SHM-01"] == .fail, "\(own.results.map { "\($0.key) \($0.verdict) \($0.reason)" })")
        #expect(await processesRemaining("avps-it-links-severed").isEmpty)
    }
}
