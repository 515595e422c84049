import AVPSModel
import AVPSProfiles
import Testing

/// Suite kinds for devices beyond the virtio set (`watchdog`, with its opt-in destructive test)
/// and virtio-pmem, and the `applies_if` conditions their requirements use.
@Suite("platform devices and conditions")
struct PlatformDeviceOptionTests {
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

    private func error(_ list: String) -> String {
        do {
            _ = try devices(list)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func watchdogAndPmemParse() throws {
        let parsed = try devices("[watchdog, pmem, {pmem: {size_mib: 32}}]")
        #expect(parsed == [.watchdog(expiry: nil), .pmem(sizeMiB: 64), .pmem(sizeMiB: 32)])
        #expect(parsed.map(\.kind) == ["watchdog", "pmem", "pmem"])
        #expect(parsed.map(\.virtioDeviceID) == [nil, 27, 27], "a watchdog is not a virtio device")
    }

    @Test func theDestructiveTestIsOffUnlessAskedFor() throws {
        #expect(try devices("[{watchdog: {expiry_test: false}}]") == [.watchdog(expiry: nil)])
        #expect(try devices("[{watchdog: {expiry_test: true}}]") == [.watchdog(expiry: WatchdogExpiry(seconds: 2))])
        #expect(try devices("[{watchdog: {expiry_test: true, expiry_seconds: 5}}]")
                == [.watchdog(expiry: WatchdogExpiry(seconds: 5))])
        #expect(try devices("[{watchdog: {expiry_test: true}}]").first?.watchdogExpiry?.seconds == 2)
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

    private func condition(_ yaml: String) throws -> Condition? {
        let text = """
            schema: 1
            id: inline
            title: Inline
            spec_version: "2.0"
            requirements:
              - { key: X-01, title: t, chapter: c, category: g, level: MAY, confidence: derived, rationale: r,
                  applies_if: \(yaml) }
            """
        return try ProfileLoader.load(yaml: text, file: "inline.yaml").requirements.first?.appliesIf
    }

    @Test func conditionsReadAloneAndTogetherInFileOrder() throws {
        #expect(try condition("{ not_withheld: watchdog }") == .notWithheld(kind: "watchdog"))
        let probe = Condition.probe(name: "platform.buses", fact: "can_count", Comparison(.ge, .int(1)))
        #expect(try condition("{ probe: { name: platform.buses, fact: can_count, op: ge, value: 1 } }") == probe)
        #expect(try condition("{ not_withheld: watchdog, probe: { name: platform.buses, fact: can_count, op: ge, value: 1 } }")
                == .all([.notWithheld(kind: "watchdog"), probe]))
        #expect(try condition("{ device_present: pmem }") == .devicePresent(.deviceID(27)))
    }

    @Test func badConditionsAreLintErrors() {
        func message(_ yaml: String) -> String {
            do { _ = try condition(yaml); return "no error" } catch { return "\(error)" }
        }
        #expect(message("{ not_withheld: watchdgo }").contains("did you mean \"watchdog\""))
        #expect(message("{}").contains("expected at least one of device_present, not_withheld, probe"))
        #expect(message("{ probe: { name: platform.buses, fact: can.count, op: ge, value: 1 } }").contains("not a valid fact name"))
        #expect(message("{ probe: { name: platform.buses, fact: can_count, op: ge, value: many } }").contains("compares numbers"))
        #expect(message("{ device_absent: can }").contains("device_absent"))
    }
}
