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
@Suite("system links: guest-to-guest vsock and shared memory, scored", .guestSlot, .serialized, .timeLimit(.minutes(8)))
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
        print("system links: guest->guest vsock rtt p50 \(observations["guest_vsock.rtt_p50_us"].map { "\($0)" } ?? "-") us; "
              + observations.filter { $0.key.hasPrefix("guest_vsock.echo_intact.") }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))
        let log = try String(contentsOf: run.appendingPathComponent("it-links/vsockd.log"), encoding: .utf8)
        #expect(log.contains("statistics CID 3") && log.contains("statistics CID 4") && log.contains("guest<->guest"), "\(log.suffix(1500))")
        #expect(await processesRemaining("avps-it-links").isEmpty)
    }

    // negative-control: AUTO-VSOCK-02 -- VM b has no vsock device (virtio-serial agent): a's echo to CID 4 is refused
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

    // negative-control: AUTO-VSOCK-02, AUTO-SHM-01 -- a vsock backend per VM (no sibling CID) and an ivshmem backing file per VM
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
