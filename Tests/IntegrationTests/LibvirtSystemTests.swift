import AVPSModel
import AVPSProfiles
import Foundation
import FoundationXML
import Runner
import Testing

/// A system through libvirt: two transient domains on the session's libvirtd joined by a network
/// link that is a `udp` interface pair on 127.0.0.1 (no libvirt network, no bridge, no root-only
/// plumbing), scored like a qemu system: AVPS2-NET-06 from a guest-to-guest UDP echo, AVPS2-STOR-09
/// from each domain scanning every disk it can read for the other's secret, AVPS2-FS-04 from a's
/// 9p share (canary planted next to the directory libvirt exports) and b's search for a's marker.
@Suite("libvirt systems", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct LibvirtSystemTests {
    @Test("two libvirt domains on a udp link: guest-to-guest echo, storage and 9p isolation PASS, nothing left")
    func twoDomainsOnAUDPLink() async throws {
        try await LibvirtDaemon.ensureRunning()
        let yaml = """
            schema: 1
            name: lv-system
            profiles: [avps-2.0]
            targets:
              - name: it-lvsys
                adapter: libvirt
                accelerator: tcg
                vms:
                  - {name: a, devices: [{block: {size_mib: 8}}, 9p, entropy]}
                  - {name: b, devices: [{block: {size_mib: 8}}, 9p, entropy]}
                links:
                  - {kind: network, vms: [a, b]}
            """
        let system = try #require(try SuiteLoader.load(yaml: yaml, file: "lv-system.yaml").targets.first)
        let (outcome, directory) = try await runTarget(system)
        defer { try? FileManager.default.removeItem(at: directory) }
        let results = outcome.results
        #expect(results.map(\.name) == ["it-lvsys/a", "it-lvsys/b", "it-lvsys"])
        #expect(results.allSatisfy { $0.infraError == nil }, "\(results.compactMap(\.infraError))")
        let own = try #require(results.last)
        let observations = own.systemObservations ?? [:]
        for key in ["AVPS2-NET-06", "AVPS2-STOR-09", "AVPS2-FS-04"] {
            let row = own.results.first { $0.key == key }
            #expect(row?.verdict == .pass, "\(key): \(row?.reason ?? "missing") \(observations)")
        }
        for vm in results.dropLast() {
            #expect(vm.commandLine.first == "libvirt", "\(vm.name) ran as a libvirt domain")
            let xml = try XMLDocument(xmlString: vm.commandLine[2])
            let local = try xml.nodes(forXPath: "/domain/devices/interface[@type='udp']/source/local/@address").first?.stringValue
            #expect(local == "127.0.0.1", "the link stays on loopback: \(vm.commandLine[2])")
            try await LibvirtDaemon.expectNothingLeft("avps-\(vm.name.replacingOccurrences(of: "/", with: "-"))", workspaceOf: vm.commandLine)
        }
        print("libvirt system: udp link rtt avg \(observations["network_link.delivered.rtt_avg_ms"].map { "\($0)" } ?? "-") ms")
    }
}
