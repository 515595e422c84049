import AVPSModel
import AVPSProfiles
import Testing

/// `arch` and `transport` of a suite target: defaults, and errors that name file, line and field.
@Suite("suite platform keys (arch, transport)")
struct SuitePlatformTests {
    private func yaml(_ extra: String, devices: String = "[block, net]") -> String {
        """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: arm
            devices: \(devices)
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    private func target(_ extra: String, devices: String = "[block, net]") throws -> TargetSpec {
        try #require(SuiteLoader.load(yaml: yaml(extra, devices: devices), file: "s.yaml").targets.first)
    }

    private func error(_ extra: String, devices: String = "[block, net]") throws -> LoadError {
        try #require(throws: LoadError.self) { try SuiteLoader.load(yaml: yaml(extra, devices: devices), file: "s.yaml") }
    }

    @Test func defaultsAreX86PCIOnQ35() throws {
        let t = try target("")
        #expect(t.arch == .x86_64 && t.transport == .pci && t.machine == "q35")
    }

    @Test func aarch64DefaultsToVirtAndAcceptsBothMMIOForms() throws {
        let mmio = try target("arch: aarch64\ntransport: mmio")
        #expect(mmio.arch == .aarch64 && mmio.transport == .mmio && mmio.machine == "virt")
        #expect(try target("arch: aarch64\ntransport: mmio-modern").transport == .mmioModern)
        #expect(try target("arch: aarch64").transport == .pci)
        #expect(try target("arch: aarch64\nmachine: virt-7.2").machine == "virt-7.2")
    }

    @Test func unknownArchNamesTheLine() throws {
        let e = try error("arch: arm64")
        #expect(e.file == "s.yaml" && e.line == 7 && e.field.hasSuffix("arch"), "\(e)")
    }

    @Test func mmioOnX86IsRefusedAtTheTransportLine() throws {
        let e = try error("transport: mmio")
        #expect(e.line == 7 && e.field.hasSuffix("transport") && e.message.contains("aarch64"), "\(e)")
    }

    @Test func machineMustFitTheArchitecture() throws {
        let e = try error("arch: aarch64\nmachine: q35")
        #expect(e.line == 8 && e.field.hasSuffix("machine") && e.message.contains("virt"), "\(e)")
        #expect(throws: LoadError.self) { try SuiteLoader.load(yaml: yaml("machine: virt"), file: "s.yaml") }
    }

    @Test func mmioRefusesPCIOnlyDevicesAtTheDevice() throws {
        let iommu = try error("arch: aarch64\ntransport: mmio", devices: "[block, iommu]")
        #expect(iommu.line == 6 && iommu.field.contains("devices[1]") && iommu.message.contains("pci"), "\(iommu)")
        let legacy = try error("arch: aarch64\ntransport: mmio", devices: "[{entropy: {modern: false}}]")
        #expect(legacy.field.contains("devices[0]") && legacy.message.contains("mmio"), "\(legacy)")
    }

    @Test func microvmIsX86WithVirtioMMIOOnly() throws {
        let micro = try target("machine: microvm\ntransport: mmio-modern")
        #expect(micro.arch == .x86_64 && micro.machine == "microvm" && micro.transport == .mmioModern)
        let pci = try error("machine: microvm")
        #expect(pci.line == 7 && pci.field.hasSuffix("machine") && pci.message.contains("transport: mmio"), "\(pci)")
        let iommu = try error("machine: microvm\ntransport: mmio", devices: "[iommu]")
        #expect(iommu.field.contains("devices[0]"), "\(iommu)")
        let arm = try error("arch: aarch64\nmachine: microvm\ntransport: mmio")
        #expect(arm.field.hasSuffix("machine") && arm.message.contains("virt"), "\(arm)")
    }
}

/// `external.console_ports`: the host ends of a vendor platform's console data ports.
struct SuiteExternalConsolePortTests {
    static func yaml(_ ports: String) -> String {
        """
        schema: 1
        name: s
        profiles: [avps-2.0]
        targets:
          - name: t
            adapter: external
            devices: [console]
            external:
              start: [vmm, --run]
              channel: {unix: "{workspace}/agent.sock"}
              console_ports: \(ports)
        """
    }

    @Test func portsMapNamesToSockets() throws {
        let target = try #require(try SuiteLoader.load(yaml: Self.yaml(#"{org.example.data: "{workspace}/data.sock"}"#), file: "s.yaml").targets.first)
        #expect(target.external?.consolePorts == ["org.example.data": "{workspace}/data.sock"])
    }

    @Test func anEmptyPathIsRefusedAtItsLine() throws {
        let error = try #require(throws: LoadError.self) { try SuiteLoader.load(yaml: Self.yaml(#"{org.example.data: ""}"#), file: "s.yaml") }
        #expect(error.line == 11, "\(error)")
    }
}
