import AVPSModel
import AVPSProfiles
import Testing

/// Device kinds and options a suite may give for the richer device set (probes, legacy forms, the
/// watchdog with its opt-in destructive test, virtio-pmem).
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

    @Test("scratch disks: per block device, qemu scratch by default, every other adapter only when declared")
    func scratchDisks() throws {
        let parsed = try devices("[{block: {size_mib: 8, scratch: true}}, {block: {scratch: false}}, block]")
        #expect(parsed.map(\.declaredScratch) == [true, false, nil])
        #expect(error("[{block: {scratch: 1}}]") != "no error")
        let declared = TargetSpec(name: "t", adapter: "external", devices: [.block(sizeMiB: 8, scratch: true), .entropy])
        #expect(declared.disksAreScratch)
        let undeclared = TargetSpec(name: "t", adapter: "libvirt", devices: [.block(sizeMiB: 8, scratch: true), .block(sizeMiB: 8)])
        #expect(!undeclared.disksAreScratch)  // one disk not declared: avps cannot tell which is which
        #expect(undeclared.scratchHint.contains("scratch: true"), "\(undeclared.scratchHint)")
        #expect(TargetSpec(name: "t", devices: [.block(sizeMiB: 8)]).disksAreScratch)  // qemu: avps made the file
        #expect(!TargetSpec(name: "t", devices: [.block(sizeMiB: 8, scratch: false)]).disksAreScratch)
    }

    /// The load error for a device list, or "no error".
    private func error(_ list: String) -> String {
        switch Result(catching: { try devices(list) }) {
        case .success: "no error"
        case .failure(let error): "\(error)"
        }
    }

    @Test func watchdogAndPmemParse() throws {
        let parsed = try devices("[watchdog, pmem, {pmem: {size_mib: 32}}, emulated-can]")
        #expect(parsed == [.watchdog(expiry: nil), .pmem(sizeMiB: 64), .pmem(sizeMiB: 32), .emulatedCAN])
        #expect(parsed.map(\.kind) == ["watchdog", "pmem", "pmem", "emulated-can"])
        #expect(parsed.map(\.virtioDeviceID) == [nil, 27, 27, nil], "a watchdog or an emulated CAN controller is not virtio")
    }

    @Test func theDestructiveWatchdogTestIsOffUnlessAskedFor() throws {
        #expect(try devices("[{watchdog: {expiry_test: false}}]") == [.watchdog(expiry: nil)])
        #expect(try devices("[{watchdog: {expiry_test: true}}]") == [.watchdog(expiry: WatchdogExpiry(seconds: 2))])
        #expect(try devices("[{watchdog: {expiry_test: true, expiry_seconds: 5}}]").first?.watchdogExpiry?.seconds == 5)
    }

    @Test func theDestructivePowerCutTestIsOffUnlessAskedFor() throws {
        #expect(try devices("[{block: {size_mib: 16}}]").first?.powerCutTest == false)
        #expect(try devices("[{block: {size_mib: 16, power_cut_test: false}}]") == [.block(sizeMiB: 16)])
        let asked = try devices("[{block: {size_mib: 16, power_cut_test: true, modern: false}}]")
        #expect(asked == [.legacy(.block(sizeMiB: 16, powerCut: true))] && asked.first?.powerCutTest == true)
        #expect(error("[{block: {power_cut_test: 1}}]").contains("expected true or false"))
    }

    @Test func badWatchdogAndPmemOptionsNameTheField() {
        #expect(error("[{watchdog: {expiry_seconds: 3}}]").contains("expiry_seconds needs expiry_test: true"))
        #expect(error("[{watchdog: {expiry_test: true, expiry_seconds: 0}}]").contains("expiry_seconds must be 1...30 (got 0)"))
        #expect(error("[{watchdog: {expiry_test: true, expiry_seconds: 31}}]").contains("must be 1...30"))
        #expect(error("[{watchdog: {expiry: true}}]").contains("expiry"))
        #expect(error("[watchdog, {watchdog: {expiry_test: true}}]").contains("at most one watchdog"))
        #expect(error("[{pmem: {size_mib: 3}}]").contains("even number"))
        #expect(error("[{pmem: {size_mib: 0}}]").contains("even number"))
        #expect(error("[{pmem: {read_only: true}}]") != "no error")
    }

    @Test func modernOptionOnlyWhereALegacyFormExists() {
        #expect(throws: LoadError.self) { try devices("[{gpu: {modern: false}}]") }
        #expect(throws: LoadError.self) { try devices("[{block: {discrad: false}}]") }
    }
}
