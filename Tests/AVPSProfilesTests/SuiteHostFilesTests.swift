import AVPSModel
import AVPSProfiles
import Testing

/// `external.host_files`: where an external hypervisor keeps the guest's disk images, shares and
/// pmem files on this host, so avps can check what the probes wrote.
@Suite("suite external host_files")
struct SuiteHostFilesTests {
    private func yaml(_ hostFiles: String) -> String {
        """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: ext
            adapter: external
            devices: [{block: {size_mib: 16, scratch: true}}, 9p]
            external:
              start: [my-hv, "{kernel}"]
              channel: { unix: "{workspace}/agent.sock" }
              host_files: \(hostFiles)
        """
    }

    @Test func eachListIsOptionalAndKeepsItsPlaceholders() throws {
        let target = try #require(SuiteLoader.load(yaml: yaml(#"{block: ["{workspace}/disk0.raw"], 9p: [/srv/share]}"#), file: "s.yaml").targets.first)
        #expect(target.external?.hostFiles == ExternalHostFiles(block: ["{workspace}/disk0.raw"], ninep: ["/srv/share"], pmem: []))
    }

    @Test func anUnknownKindOrAnEmptyPathNamesTheLine() throws {
        let unknown = try #require(throws: LoadError.self) { try SuiteLoader.load(yaml: yaml("{disk: [a]}"), file: "s.yaml") }
        #expect(unknown.file == "s.yaml" && unknown.line == 11 && unknown.field.contains("host_files"), "\(unknown)")
        let empty = try #require(throws: LoadError.self) { try SuiteLoader.load(yaml: yaml(#"{pmem: [""]}"#), file: "s.yaml") }
        #expect(empty.line == 11 && empty.field.contains("pmem"), "\(empty)")
    }
}
