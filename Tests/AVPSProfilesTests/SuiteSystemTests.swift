import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// Systems in suites (`vms:` and `links:`): each VM a full target named `<system>/<vm>`, links
/// between named VMs, and errors that name file, line and field.
@Suite("suite systems (vms, links)")
struct SuiteSystemTests {
    private func yaml(vms: String = "- {name: a, devices: [block]}\n- {name: b, memory_mib: 512, devices: [net]}",
                      links: String = "- {kind: network, vms: [a, b]}", extra: String = "") -> String {
        func indent(_ text: String, _ spaces: Int) -> String {
            text.split(separator: "\n").map { String(repeating: " ", count: spaces) + $0 }.joined(separator: "\n")
        }
        return """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: single
            devices: [block]
          - name: pair
            accelerator: tcg
        \(indent(extra, 4))
            vms:
        \(indent(vms, 6))
            links:
        \(indent(links, 6))
        """
    }

    private func system(_ text: String) throws -> TargetSpec {
        try #require(SuiteLoader.load(yaml: text, file: "s.yaml").targets.last)
    }

    private func error(_ text: String) throws -> LoadError {
        try #require(throws: LoadError.self) { try SuiteLoader.load(yaml: text, file: "s.yaml") }
    }

    @Test func vmsAreFullTargetsNamedAfterTheirSystem() throws {
        let suite = try SuiteLoader.load(yaml: yaml(), file: "s.yaml")
        #expect(!suite.targets[0].isSystem && suite.targets[0].membership == nil, "single guests are unchanged")
        let pair = suite.targets[1]
        #expect(pair.isSystem && pair.devices.isEmpty)
        #expect(pair.vms.map(\.name) == ["pair/a", "pair/b"])
        #expect(pair.vms.map(\.accelerator) == ["tcg", "tcg"], "the system's accelerator is each VM's default")
        #expect(pair.vms.map(\.memoryMiB) == [256, 512], "256 MiB per guest unless a VM asks for more")
        #expect(pair.vms[0].devices == [.block(sizeMiB: 64)] && pair.vms[1].devices == [.net])
        #expect(pair.vms.map { $0.membership?.vm } == ["a", "b"])
        #expect(pair.vms.map { $0.membership?.vsockCID } == [3, 4])
        #expect(pair.links == [SystemLink(kind: .network, vms: ["a", "b"])])
        #expect(pair.vms[1].membership?.links == pair.links)
    }

    @Test func linkKindsAndSharedMemorySize() throws {
        let pair = try system(yaml(links: """
            - {kind: vsock, vms: [b, a]}
            - {kind: shared-memory, vms: [a, b], size_mib: 8}
            - {kind: shared-memory, vms: [a, b]}
            """))
        #expect(pair.links.map(\.kind) == [.vsock, .sharedMemory, .sharedMemory])
        #expect(pair.links[0].vms == ["b", "a"])
        #expect(pair.links.map(\.sizeMiB) == [nil, 8, SystemLink.defaultSharedMemoryMiB])
    }

    @Test func aSystemRoundTripsThroughAPlanAndASingleGuestKeepsItsShape() throws {
        let suite = try SuiteLoader.load(yaml: yaml(), file: "s.yaml")
        let data = try JSONEncoder().encode(suite.targets)
        #expect(try JSONDecoder().decode([TargetSpec].self, from: data) == suite.targets)
        let single = String(decoding: try JSONEncoder().encode(suite.targets[0]), as: UTF8.self)
        #expect(!single.contains("vms") && !single.contains("links") && !single.contains("membership"))
    }

    @Test func unknownVMInALinkNamesLineAndSuggests() throws {
        let e = try error(yaml(links: "- {kind: network, vms: [a, bb]}"))
        #expect(e.file == "s.yaml" && e.line == 14 && e.field.contains("links") && e.message.contains("unknown VM \"bb\""), "\(e)")
        #expect(e.message.contains("a, b"), "\(e)")
    }

    @Test func badSystemsAreRefusedWithFileLineField() throws {
        let one = try error(yaml(vms: "- {name: a, devices: [block]}", links: "[]"))
        #expect(one.line == 11 && one.field.hasSuffix("vms") && one.message.contains("two or more"), "\(one)")
        let twice = try error(yaml(vms: "- {name: a, devices: [block]}\n- {name: a, devices: [net]}"))
        #expect(twice.line == 12 && twice.message.contains("duplicate VM name \"a\""), "\(twice)")
        let lonely = try error(yaml(links: "- {kind: network, vms: [a]}"))
        #expect(lonely.line == 14 && lonely.message.contains("two or more"), "\(lonely)")
        let repeated = try error(yaml(links: "- {kind: vsock, vms: [a, a]}"))
        #expect(repeated.message.contains("named twice"), "\(repeated)")
        let kind = try error(yaml(links: "- {kind: bridge, vms: [a, b]}"))
        #expect(kind.field.hasSuffix("kind"), "\(kind)")
        let size = try error(yaml(links: "- {kind: network, vms: [a, b], size_mib: 4}"))
        #expect(size.message.contains("shared-memory links only"), "\(size)")
        let odd = try error(yaml(links: "- {kind: shared-memory, vms: [a, b], size_mib: 3}"))
        #expect(odd.message.contains("power of two"), "\(odd)")
        let adapter = try error(yaml(vms: "- {name: a, adapter: qemu, devices: [block]}\n- {name: b, devices: [net]}"))
        #expect(adapter.line == 11 && adapter.message.contains("adapter"), "a VM cannot choose its own adapter: \(adapter)")
        let external = try error(yaml(extra: "adapter: external"))
        #expect(external.line == 11 && external.message.contains("each VM of an external system needs its own `external:`"), "\(external)")
        let ssh = try error(yaml(extra: "adapter: ssh"))
        #expect(ssh.field.hasSuffix("adapter") && ssh.message.contains("qemu, libvirt, external only") && ssh.message.contains("one QEMU"), "\(ssh)")
        let badName = try error(yaml(vms: "- {name: a/b, devices: [block]}\n- {name: b, devices: [net]}"))
        #expect(badName.field.hasSuffix("name"), "\(badName)")
    }

    @Test func restartTestNamesOneOfTheSystemsVMs() throws {
        let pair = try system(yaml(extra: "restart_test: b"))
        #expect(pair.restartTest == "b")
        #expect(try system(yaml()).restartTest == nil, "no restart test unless asked for")
        let data = try JSONEncoder().encode(pair)
        #expect(try JSONDecoder().decode(TargetSpec.self, from: data).restartTest == "b")
        let unknown = try error(yaml(extra: "restart_test: bb"))
        #expect(unknown.line == 9 && unknown.field.hasSuffix("restart_test") && unknown.message.contains("unknown VM \"bb\""), "\(unknown)")
        #expect(unknown.message.contains("a, b"), "\(unknown) line \(unknown.line) field \(unknown.field)")
        let libvirt = try error(yaml(extra: "adapter: libvirt\nrestart_test: a"))
        #expect(libvirt.field.hasSuffix("restart_test") && libvirt.message.contains("QMP"), "\(libvirt)")
    }

    @Test func libvirtSystemsTakeNetworkLinksOfTwoVMsOnly() throws {
        let pair = try system(yaml(extra: "adapter: libvirt"))
        #expect(pair.adapter == "libvirt" && pair.vms.allSatisfy { $0.adapter == "libvirt" })
        let vsock = try error(yaml(links: "- {kind: vsock, vms: [a, b]}", extra: "adapter: libvirt"))
        #expect(vsock.line == 14 && vsock.field.hasSuffix("kind") && vsock.message.contains("cannot wire a vsock link"), "\(vsock)")
        let shared = try error(yaml(links: "- {kind: shared-memory, vms: [a, b]}", extra: "adapter: libvirt"))
        #expect(shared.field.hasSuffix("kind") && shared.message.contains("shared-memory"), "\(shared)")
        let three = try error(yaml(vms: "- {name: a, devices: [block]}\n- {name: b, devices: [net]}\n- {name: c, devices: [net]}",
                                   links: "- {kind: network, vms: [a, b, c]}", extra: "adapter: libvirt"))
        #expect(three.field.hasSuffix("vms") && three.message.contains("joins two VMs") && three.message.contains("got 3"), "\(three)")
    }

    @Test func externalSystemsGiveEachVMItsOwnStartCommandAndTakeNetworkLinksOnly() throws {
        let vms = """
            - {name: a, devices: [entropy], external: {start: [qemu, "{link0_port}"], channel: {unix: "{workspace}/a.sock"}}}
            - {name: b, devices: [entropy], external: {start: [qemu, "{link0_peer_port}"], channel: {unix: "{workspace}/b.sock"}}}
            """
        let pair = try system(yaml(vms: vms, extra: "adapter: external"))
        #expect(pair.vms.map { $0.external?.start.last } == ["{link0_port}", "{link0_peer_port}"])
        let vsock = try error(yaml(vms: vms, links: "- {kind: vsock, vms: [a, b]}", extra: "adapter: external"))
        #expect(vsock.field.hasSuffix("kind") && vsock.message.contains("network links only"), "\(vsock)")
        let remote = try error(yaml(vms: vms.replacingOccurrences(of: "channel: {unix: \"{workspace}/b.sock\"}",
                                                                  with: "channel: {unix: /x}, remote: {host: h, user: u}"),
                                    extra: "adapter: external"))
        #expect(remote.field.hasSuffix("external") && remote.message.contains("`remote:` is for single targets"), "\(remote)")
    }

    @Test func vmKeysAreValidatedLikeATargets() throws {
        let e = try error(yaml(vms: "- {name: a, devices: [block], transport: mmio}\n- {name: b, devices: [net]}"))
        #expect(e.line == 11 && e.message.contains("aarch64"), "\(e)")
    }
}
