import AVPSModel
import AVPSProfiles
import Testing

/// Device kinds and options a suite may give for the richer device set (probes, legacy forms).
@Suite("suite device options")
struct SuiteDeviceOptionTests {
    private func devices(_ list: String) throws -> [DeviceSpec] {
        let yaml = """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: x
            devices: \(list)
        """
        return try #require(SuiteLoader.load(yaml: yaml, file: "t.yaml").targets.first).devices
    }

    @Test func richKindsAndOptionsParse() throws {
        let parsed = try devices("[9p, crypto, gpu, iommu, {block: {size_mib: 8, discard: false, read_only: true}}, {entropy: {modern: false}}, {net: {modern: true}}]")
        #expect(parsed == [.ninep, .crypto, .gpu, .iommu, .block(sizeMiB: 8, discard: false, readOnly: true),
                           .legacy(.entropy), .net])
        #expect(parsed.map(\.kind) == ["9p", "crypto", "gpu", "iommu", "block", "entropy", "net"])
        #expect(parsed.map(\.virtioDeviceID) == [9, 20, 16, 23, 2, 4, 1])
    }

    @Test func modernOptionOnlyWhereALegacyFormExists() {
        #expect(throws: LoadError.self) { try devices("[{gpu: {modern: false}}]") }
        #expect(throws: LoadError.self) { try devices("[{block: {discrad: false}}]") }
    }
}
