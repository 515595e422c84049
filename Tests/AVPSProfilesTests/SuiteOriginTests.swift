import AVPSModel
import AVPSProfiles
import Testing

/// `qemu: {from: …}` and `kernel: {from: …}`: which QEMU build and guest kernel a target uses.
@Suite("suite package origins")
struct SuiteOriginTests {
    private func target(_ extra: String, adapter: String = "qemu") throws -> TargetSpec {
        let yaml = """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: x
            adapter: \(adapter)
            devices: [entropy, sound]
        \(extra)
        """
        return try #require(SuiteLoader.load(yaml: yaml, file: "t.yaml").targets.first)
    }

    @Test func originsDefaultToNilAndParse() throws {
        let plain = try target("")
        #expect(plain.qemuFrom == nil && plain.kernelFrom == nil)
        #expect(plain.devices == [.entropy, .sound])
        #expect(plain.devices.map(\.virtioDeviceID) == [4, 25])
        let backports = try target("    qemu: {from: backports}\n    kernel: {from: backports}")
        #expect(backports.qemuFrom == .backports && backports.kernelFrom == .backports)
        #expect(try target("    kernel: {from: system}").kernelFrom == .system)
    }

    @Test func badOriginNamesFileLineAndField() {
        let error = #expect(throws: LoadError.self) { try target("    qemu: {from: backport}") }
        #expect(error?.line == 8)
        #expect(error?.field == "targets[0].qemu.from")
        #expect(error?.message.contains("did you mean \"backports\"") == true, "\(String(describing: error))")
        let unknownKey = #expect(throws: LoadError.self) { try target("    kernel: {form: backports}") }
        #expect(unknownKey?.field.hasPrefix("targets[0].kernel") == true, "\(String(describing: unknownKey))")
    }

    @Test func qemuOriginOnlyForTheQEMUAdapter() {
        let error = #expect(throws: LoadError.self) { try target("    qemu: {from: backports}", adapter: "libvirt") }
        #expect(error?.field == "targets[0].qemu")
        #expect(error?.message.contains("adapter libvirt") == true)
    }
}
