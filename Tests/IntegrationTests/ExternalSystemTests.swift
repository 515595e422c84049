import AVPSModel
import AVPSProfiles
import Foundation
import Runner
import Testing

/// A system through the external contract: each VM has its own start command (QEMU here, as a
/// vendor's command would be) and agent channel, and wires its network link NIC with the
/// placeholders avps hands it (`{link0_port}`, `{link0_peer_port}`, `{link0_mac}`); the system
/// is scored like a qemu one: AVPS2-NET-06 from the guest-to-guest echo over that link.
@Suite("external systems", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct ExternalSystemTests {
    static func vm(_ name: String) -> String {
        """
              - name: \(name)
                devices: [entropy]
                external:
                  start: [qemu-system-x86_64, -name, "avps-{name}", -machine, q35, -accel, tcg, -m, "256",
                          -nodefaults, -no-user-config, -display, none, -no-reboot,
                          -kernel, "{kernel}", -initrd, "{initrd}", -append, "{cmdline}", -serial, "file:{serial_log}",
                          -device, virtio-serial-pci, -chardev, "socket,id=agent,path={workspace}/agent.sock,server=on,wait=off",
                          -device, "virtserialport,chardev=agent,name=org.avps.agent.0",
                          -object, "rng-random,id=rng0,filename=/dev/urandom", -device, "virtio-rng-pci,rng=rng0",
                          -netdev, "dgram,id=l0,local.type=inet,local.host=127.0.0.1,local.port={link0_port},remote.type=inet,remote.host=127.0.0.1,remote.port={link0_peer_port}",
                          -device, "virtio-net-pci,netdev=l0,mac={link0_mac}"]
                  channel: { unix: "{workspace}/agent.sock" }
        """
    }

    @Test("two VMs started by their own external commands, linked through the placeholders: AVPS2-NET-06 PASS, nothing left")
    func twoStartCommandsOneLink() async throws {
        let yaml = """
            schema: 1
            name: ext-system
            profiles: [avps-2.0]
            targets:
              - name: it-extsys
                adapter: external
                vms:
            \(Self.vm("a"))
            \(Self.vm("b"))
                links:
                  - {kind: network, vms: [a, b]}
            """
        let system = try #require(try SuiteLoader.load(yaml: yaml, file: "ext-system.yaml").targets.first)
        let (outcome, directory) = try await runTarget(system)
        defer { try? FileManager.default.removeItem(at: directory) }
        let results = outcome.results
        #expect(results.map(\.name) == ["it-extsys/a", "it-extsys/b", "it-extsys"])
        #expect(results.allSatisfy { $0.infraError == nil }, "\(results.compactMap(\.infraError))")
        let own = try #require(results.last)
        let observations = own.systemObservations ?? [:]
        let row = own.results.first { $0.key == "AVPS2-NET-06" }
        #expect(row?.verdict == .pass, "\(row?.reason ?? "missing") \(observations)")
        let a = try #require(results.first)
        #expect(a.commandLine.contains { $0.contains("mac=52:54:00:a5:00:00") && !$0.contains("{") }, "placeholders replaced: \(a.commandLine)")
        #expect(await processesRemaining("avps-it-extsys/").isEmpty, "a QEMU of the external system is left running")
        print("external system: link rtt avg \(observations["network_link.delivered.rtt_avg_ms"].map { "\($0)" } ?? "-") ms")
    }
}
