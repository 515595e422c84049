import Foundation
import Testing

/// `platform.buses` against a made-up sysfs and module tree: what it counts, what it reads, and
/// where it says the guest kernel's support for a bus comes from. No watchdog here: a fake
/// `class/watchdog` would make the agent open the test host's real /dev/watchdog0.
@Suite("platform.buses in the agent")
struct PlatformProbeTests {
    typealias H = AgentHarness

    /// A temporary tree; `files` maps relative paths to contents (directories end in `/`).
    static func tree(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("avps-platform-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            if path.hasSuffix("/") {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } else {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
        return root
    }

    static func facts(sysfs: URL, modules: URL) throws -> [String: Any] {
        let request = #"{"id":1,"method":"probe","params":{"name":"platform.buses","params":{"modules_dir":"\#(modules.path)"}}}"#
        let run = try H.run(H.line(request), sysfs: sysfs)
        let response = try H.object(try #require(run.frames.last))
        let result = try #require(response["result"] as? [String: Any])
        #expect(result["status"] as? String == "ok", "\(result)")
        return try #require(result["facts"] as? [String: Any])
    }

    @Test func countsAndReadsWhatExists() throws {
        let sysfs = try Self.tree([
            "class/rtc/rtc0/name": "rtc_cmos 00:03\n", "class/rtc/rtc0/date": "2026-01-02\n", "class/rtc/rtc0/time": "03:04:05\n",
            "class/net/can0/type": "280\n", "class/net/can0/mtu": "16\n",
            "class/net/vcan1/type": "280\n", "class/net/vcan1/mtu": "72\n",
            "class/net/eth0/type": "1\n", "class/net/eth0/mtu": "1500\n",
            "bus/gpio/devices/gpiochip0/": "", "bus/i2c/devices/i2c-0/name": "SMBus I801 adapter\n",
            "bus/i2c/devices/0-0050/name": "eeprom\n",  // a client, not an adapter
            "bus/scmi_protocol/devices/scmi_dev.1/protocol_id": "0x10\n",
            "bus/scmi_protocol/devices/scmi_dev.2/modalias": "scmi-protocol-0x13:cpufreq\n",
            "bus/scmi_protocol/devices/scmi_dev.3/": "",
            "module/can_dev/": "",
        ])
        let modules = try Self.tree(["modules.dep": "", "modules.builtin": ""])
        defer { for url in [sysfs, modules] { try? FileManager.default.removeItem(at: url) } }
        let facts = try Self.facts(sysfs: sysfs, modules: modules)
        #expect(facts["rtc_count"] as? Int == 1)
        #expect(facts["rtc_names"] as? [String] == ["rtc_cmos 00:03"])
        #expect(facts["rtc_time"] as? String == "2026-01-02 03:04:05")
        #expect(facts["can_interfaces"] as? [String] == ["can0", "vcan1"])
        #expect(facts["can_fd_capable"] as? Int == 1 && facts["can_mtu_invalid"] as? Int == 0)
        #expect(facts["can_support"] as? String == "present" && facts["can_reason"] == nil)
        #expect(facts["gpio_chips"] as? [String] == ["gpiochip0"])
        #expect(facts["i2c_adapters"] as? [String] == ["i2c-0"])
        #expect(facts["i2c_names"] as? [String] == ["SMBus I801 adapter"])
        #expect(facts["scmi_count"] as? Int == 3)
        #expect(facts["scmi_protocol_ids"] as? [Int] == [16, 19], "an id from protocol_id, one from modalias, one unknown")
        #expect(facts["scmi_pm_protocols"] as? Int == 1)
    }

    @Test func hardwareDescriptionNamesTablesAndTheDeviceTree() throws {
        let both = try Self.tree([
            "firmware/acpi/tables/DSDT": "x", "firmware/acpi/tables/APIC": "x",
            "firmware/acpi/tables/dynamic/": "", "firmware/acpi/tables/data/": "",  // the kernel's, not tables
            "firmware/devicetree/base/model": "linux,dummy-virt\u{0}",
        ])
        let dtOnly = try Self.tree(["firmware/devicetree/base/compatible": "linux,dummy-virt\u{0}"])
        let modules = try Self.tree(["modules.dep": "", "modules.builtin": ""])
        defer { for url in [both, dtOnly, modules] { try? FileManager.default.removeItem(at: url) } }
        let facts = try Self.facts(sysfs: both, modules: modules)
        #expect(facts["acpi_tables"] as? [String] == ["APIC", "DSDT"] && facts["acpi_table_count"] as? Int == 2, "\(facts)")
        #expect(facts["devicetree"] as? Bool == true && facts["devicetree_model"] as? String == "linux,dummy-virt")
        #expect(facts["hardware_description"] as? String == "acpi+devicetree" && facts["hardware_described"] as? Bool == true)
        let tree = try Self.facts(sysfs: dtOnly, modules: modules)
        #expect(tree["hardware_description"] as? String == "devicetree" && tree["acpi_table_count"] as? Int == 0, "\(tree)")
        #expect(tree["devicetree_model"] == nil)
    }

    @Test func absentBusesSayWhereSupportWouldComeFrom() throws {
        let sysfs = try Self.tree(["class/net/lo/type": "772\n", "bus/gpio/": ""])
        let modules = try Self.tree([
            "modules.builtin": "kernel/drivers/rtc/rtc-cmos.ko\n",
            "modules.dep": "kernel/drivers/net/can/dev/can-dev.ko:\nkernel/drivers/i2c/i2c-core.ko:\n",
            "kernel/drivers/i2c/i2c-core.ko": "",
        ])
        defer { for url in [sysfs, modules] { try? FileManager.default.removeItem(at: url) } }
        let facts = try Self.facts(sysfs: sysfs, modules: modules)
        #expect(facts["rtc_support"] as? String == "builtin")
        #expect(facts["gpio_support"] as? String == "present")
        #expect((facts["gpio_reason"] as? String)?.contains("has GPIO support (bus/gpio exists) but none is registered") == true)
        #expect(facts["i2c_support"] as? String == "module")
        #expect((facts["i2c_reason"] as? String)?.contains("module kernel/drivers/i2c/i2c-core.ko, which is not loaded") == true)
        #expect(facts["can_support"] as? String == "module-not-installed")
        #expect(facts["can_count"] as? Int == 0)
        #expect(facts["scmi_support"] as? String == "absent")
        #expect((facts["scmi_reason"] as? String)?.hasPrefix("the guest kernel has no SCMI support") == true)
    }
}
