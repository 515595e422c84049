import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing

/// The watchdog (QEMU's i6300esb), virtio-pmem, an emulated CAN controller and the platform-bus
/// probe in real TCG guests:
/// each with the device there and with it absent, the destructive watchdog test really firing
/// on both agent channels, and an aarch64 virt target (PCI watchdog beside virtio-mmio, pmem withheld).
@Suite("Watchdog, pmem and platform buses in real QEMU guests", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct PlatformGuestTests {
    private func run(_ target: TargetSpec) async throws -> TargetResult {
        let (result, _) = try await runKeepingDirectory(target)
        return result
    }

    private func runKeepingDirectory(_ target: TargetSpec, hypervisor: (any Hypervisor)? = nil) async throws -> (TargetResult, URL) {
        let (outcome, directory) = try await runTarget(target, bootTimeout: .seconds(180), hypervisor: hypervisor)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        #expect(await processesRemaining("avps-\(target.name)").isEmpty)
        return (result, directory)
    }

    /// An artifact of a run, by its recorded name.
    private func artifact(_ name: String, _ result: TargetResult, in directory: URL) throws -> String {
        let path = try #require(result.artifacts[name], "\(result.artifacts)")
        return try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
    }

    private func probe(_ name: String, _ result: TargetResult) throws -> ProbeResult {
        try #require(result.evidence?.probes.first { $0.name == name }, "probe \(name) did not run")
    }

    private func verdict(_ key: String, _ result: TargetResult) throws -> RequirementResult {
        try #require(result.results.first { $0.key == key }, "no result for \(key)")
    }

    /// Seconds from a probe's request to its answer, from the agent transcript.
    private func durations(_ result: TargetResult, in directory: URL) throws -> [String: Double] {
        let lines = try artifact("agent_transcript", result, in: directory).split(separator: "\n")
        var sent: [Int: (name: String, at: Double)] = [:], took: [String: Double] = [:]
        for line in lines {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let at = object["at"] as? Double, let frame = (object["frame"] as? String).map({ Data($0.utf8) }),
                  let message = try? JSONSerialization.jsonObject(with: frame) as? [String: Any],
                  let id = message["id"] as? Int else { continue }
            if let params = message["params"] as? [String: Any], let name = params["name"] as? String {
                sent[id] = (name, at)
            } else if let request = sent[id] {
                took[request.name] = at - request.at
            }
        }
        return took
    }

    @Test("watchdog, pmem and CAN present (vsock): watchdog identity, timeout, feed, disarm; expiry resets the guest; pmem pattern in the backing file; can0")
    func present() async throws {
        let target = TargetSpec(name: "it-platform-present", accelerator: "tcg", devices: [
            .watchdog(expiry: WatchdogExpiry(seconds: 2)), .pmem(sizeMiB: 16), .emulatedCAN,
        ])
        let (result, directory) = try await runKeepingDirectory(target)
        #expect(result.commandLine.contains("i6300esb,id=dev-watchdog0") && result.commandLine.contains("-watchdog-action"))
        let evidence = try #require(result.evidence)

        let basic = try probe("watchdog.basic", result)
        #expect(basic.status == .ok, "\(basic)")
        #expect(basic.facts["watchdog_count"] == .int(1), "\(basic.facts)")
        #expect(basic.facts["identity"] == .string("i6300ESB timer"))
        #expect(basic.facts["timeout_initial"] == .int(30) && basic.facts["timeout_readback"] == .int(20))
        #expect(basic.facts["timeout_matches"] == .bool(true) && basic.facts["keepalive_ok"] == .bool(true))
        #expect(basic.facts["timeout_restored"] == .bool(true))
        #expect(basic.facts["magic_close_used"] == .bool(true) && basic.facts["disarmed"] == .bool(true))

        // The destructive test: armed for 2 s, QEMU reported the expiry, the guest came back.
        let armed = try probe("watchdog.expire", result)
        #expect(armed.status == .ok && armed.facts["timeout_readback"] == .int(2), "\(armed)")
        let seen = evidence.hostObservations
        #expect(seen["watchdog_expiry_reset"] == .bool(true), "\(seen)")
        #expect(seen["watchdog_expiry_event"] == .bool(true) && seen["watchdog_expiry_action"] == .string("reset"))
        let fire = try #require(seen["watchdog_expiry_fire_seconds"]?.number)
        #expect(fire >= 1.5 && fire < 26, "a 2 s watchdog fired after \(fire) s")
        let back = try #require(seen["watchdog_expiry_reset_to_agent_seconds"]?.number)
        #expect(back > 0 && back < 180)
        let stage = try #require(result.stages.first { $0.stage == "watchdog expiry" })
        #expect(stage.ok && stage.duration < 60, "watchdog expiry stage took \(stage.duration) s")
        let serial = try artifact("serial_log", result, in: directory)
        #expect(serial.components(separatedBy: "avps-init: starting agent").count - 1 == 2, "expected exactly two boots")

        // pmem: the config through the inventory, the pattern in the guest and in the backing file.
        let pmem = try #require(evidence.devices.first { $0.deviceID == 27 })
        #expect(pmem.driver == "virtio_pmem")
        #expect(pmem.config?["size"] == .int(16 << 20) && (pmem.config?["start"]?.number ?? 0) > 0, "\(pmem.config ?? [:])")
        // Offered bits read by the agent equal QEMU's own x-query-virtio-status for the device.
        let address = try #require(pmem.busAddress)
        guard case .list(let values)? = evidence.hostObservations["qemu.host_features.\(address)"] else {
            Issue.record("no QEMU host-features for \(address)"); return
        }
        let qemu = QEMUVirtioDevice(path: "", name: "", deviceID: 27, busAddress: address,
                                    hostFeatures: FeatureBits(values.compactMap { $0.number.map { Int($0) } }), unmappedNames: [])
        #expect(pmem.offered?.method == "pci-cfg-window" && pmem.offered?.bits == qemu.modernView, "\(pmem.offered.map { "\($0)" } ?? "nil")")
        let pattern = try probe("pmem.integrity", result)
        #expect(pattern.facts["verified"] == .bool(true) && pattern.facts["flush_ok"] == .bool(true), "\(pattern)")
        #expect(pattern.facts["size_bytes"] == .int(16 << 20))
        #expect(pattern.facts["host_verified"] == .bool(true), "the pattern did not reach the backing file: \(pattern.facts)")
        #expect(result.results.first { $0.key == "AVPS2-PMEM-04" }?.basis == .hostCorroborated)

        // platform.buses on q35: the CMOS RTC the guest can read, and the emulated SJA1000 as can0.
        let buses = try probe("platform.buses", result)
        #expect(buses.facts["rtc_count"] == .int(1) && buses.facts["rtc_read_ok"] == .bool(true), "\(buses.facts)")
        #expect(buses.facts["can_interfaces"] == .list([.string("can0")]) && buses.facts["can_mtu_invalid"] == .int(0))
        #expect(buses.facts["can_support"] == .string("present") && buses.facts["can_reason"] == nil)

        for key in ["AVPS2-WDT-01", "AVPS2-WDT-02", "AVPS2-WDT-03", "AVPS2-WDT-04", "AVPS2-CAN-01",
                    "AVPS2-PMEM-01", "AVPS2-PMEM-02", "AVPS2-PMEM-03", "AVPS2-PMEM-04"] {
            let outcome = try verdict(key, result)
            #expect(outcome.verdict == .pass, "\(key): \(outcome.reason)")
        }
        let took = try durations(result, in: directory)
        print("platform-present: probe seconds \(took.sorted { $0.key < $1.key }), watchdog fire \(fire) s, "
              + "reset to agent \(back) s, expiry stage \(stage.duration) s")
    }

    @Test("destructive watchdog test over virtio-serial: the same socket carries the rebooted agent")
    func expiryOverVirtioSerial() async throws {
        let target = TargetSpec(name: "it-platform-wdt-serial", accelerator: "tcg",
                                devices: [.watchdog(expiry: WatchdogExpiry(seconds: 1))], agentChannel: .virtioSerial)
        let result = try await run(target)
        let seen = try #require(result.evidence).hostObservations
        #expect(seen["watchdog_expiry_reset"] == .bool(true), "\(seen)")
        let fire = try #require(seen["watchdog_expiry_fire_seconds"]?.number)
        #expect(fire >= 0.5 && fire < 23, "a 1 s watchdog fired after \(fire) s")
        #expect(try verdict("AVPS2-WDT-04", result).verdict == .pass)
        #expect(result.stages.last?.stage == "poweroff" && result.stages.last?.ok == true, "the rebooted agent powered off")
        print("platform-wdt-serial: watchdog fire \(fire) s, reset to agent \(seen["watchdog_expiry_reset_to_agent_seconds"] ?? .int(-1)) s")
    }

    // negative-control: AVPS2-WDT-04 -- -watchdog-action none (QMP set-action): the expiry resets nothing
    @Test("negative control: QEMU told to do nothing on expiry reports the expiry, no reset follows, WDT-04 FAILs")
    func expiryWithoutReset() async throws {
        let target = TargetSpec(name: "it-platform-wdt-noreset", accelerator: "tcg",
                                devices: [.watchdog(expiry: WatchdogExpiry(seconds: 1))], agentChannel: .virtioSerial)
        let (result, directory) = try await runKeepingDirectory(target, hypervisor: RewrittenQEMU.watchdogIgnoring)
        #expect(result.commandLine.contains("none") && !result.commandLine.contains("reset"))
        let seen = try #require(result.evidence).hostObservations
        #expect(seen["watchdog_expiry_event"] == .bool(true) && seen["watchdog_expiry_action"] == .string("none"), "\(seen)")
        #expect(seen["watchdog_expiry_reset"] == .bool(false))
        #expect(seen["watchdog_expiry_reset.detail"]?.description.contains("no RESET followed") == true, "\(seen)")
        let outcome = try verdict("AVPS2-WDT-04", result)
        #expect(outcome.verdict == .fail, "\(outcome.reason)")
        let serial = try artifact("serial_log", result, in: directory)
        #expect(serial.components(separatedBy: "avps-init: starting agent").count - 1 == 1, "the guest must not have rebooted")
        #expect(result.stages.last?.stage == "poweroff" && result.stages.last?.ok == true, "the unreset agent still answers")
    }

    // negative-control: AVPS2-WDT-01 -- a target without a watchdog device: watchdog_count = 0
    @Test("no watchdog, no pmem, no CAN/GPIO/SCMI: facts say why; FAIL only where the profile asks unconditionally")
    func absent() async throws {
        let result = try await run(TargetSpec(name: "it-platform-absent", accelerator: "tcg", devices: [.entropy]))
        let basic = try probe("watchdog.basic", result)
        #expect(basic.status == .ok && basic.facts["watchdog_count"] == .int(0), "\(basic)")
        // The lean guest did not load the watchdog core; the kernel has it as a module.
        #expect(basic.facts["watchdog_support"] == .string("module"), "\(basic.facts)")
        let why = try #require(basic.facts["watchdog_reason"].map(\.description))
        #expect(why.contains("watchdog.ko"), "\(why)")
        #expect(try verdict("AVPS2-WDT-01", result).verdict == .fail)
        for key in ["AVPS2-WDT-02", "AVPS2-WDT-03", "AVPS2-WDT-04"] {
            let outcome = try verdict(key, result)
            #expect(outcome.verdict == .notApplicable && outcome.reason.contains("watchdog_count = 0"), "\(key): \(outcome.reason)")
        }
        #expect(!(result.evidence?.probes.contains { $0.name == "pmem.integrity" || $0.name == "watchdog.expire" } ?? true))
        let buses = try probe("platform.buses", result)
        #expect(buses.facts["scmi_support"] == .string("absent"), "Debian's amd64 kernel has no SCMI: \(buses.facts)")
        #expect(buses.facts["can_count"] == .int(0) && buses.facts["can_reason"] != nil)
        #expect(buses.facts["gpio_count"] == .int(0) && buses.facts["gpio_support"] == .string("present"))
        for (key, reason) in [("AVPS2-CAN-01", "can_count = 0"), ("AVPS2-PM-01", "no SCMI support"), ("AVPS2-GPIO-04", "gpio_count = 0"),
                              ("AVPS2-PMEM-01", "No pmem device")] {
            let outcome = try verdict(key, result)
            #expect(outcome.verdict == .notApplicable && outcome.reason.contains(reason), "\(key): \(outcome.reason)")
        }
        // q35 hands the guest ACPI tables (APIC, DSDT, FACP, ...): the hardware is described.
        #expect(buses.facts["hardware_description"] == .string("acpi"), "\(buses.facts)")
        #expect((buses.facts["acpi_table_count"]?.number ?? 0) >= 3 && buses.facts["devicetree"] == .bool(false))
        #expect(try verdict("AVPS2-BOOT-02", result).verdict == .pass)
    }

    // negative-control: AVPS2-BOOT-02 -- acpi=off on x86_64: neither ACPI tables nor a device tree
    @Test("a guest that sees neither ACPI tables nor a device tree (acpi=off) fails the hardware-description row")
    func noHardwareDescription() async throws {
        let result = try await run(TargetSpec(name: "it-platform-noacpi", accelerator: "tcg", devices: [.entropy],
                                              kernelAppend: ["acpi=off"]))
        let buses = try probe("platform.buses", result)
        #expect(buses.facts["hardware_description"] == .string("none") && buses.facts["acpi_table_count"] == .int(0), "\(buses.facts)")
        let outcome = try verdict("AVPS2-BOOT-02", result)
        #expect(outcome.verdict == .fail, "\(outcome.reason)")
    }

    @Test("aarch64 virt with virtio-mmio: the PCI watchdog works and resets the guest on expiry; pmem is withheld with the reason")
    func aarch64() async throws {
        let target = TargetSpec(name: "it-platform-arm", accelerator: "tcg",
                                devices: [.watchdog(expiry: WatchdogExpiry(seconds: 2)), .pmem(sizeMiB: 16), .entropy],
                                arch: .aarch64, transport: .mmioModern)
        let result = try await run(target)
        let devices = zip(result.commandLine, result.commandLine.dropFirst()).filter { $0.0 == "-device" }.map(\.1)
        #expect(devices.contains { $0.hasPrefix("i6300esb") } && !devices.contains { $0.hasPrefix("virtio-pmem") }, "\(devices)")
        let seen = try #require(result.evidence).hostObservations
        #expect(seen[Evidence.withheldKey(kind: "watchdog")] == nil)
        #expect(seen[Evidence.withheldKey(kind: "pmem")] != nil)
        for key in ["AVPS2-WDT-01", "AVPS2-WDT-02", "AVPS2-WDT-03", "AVPS2-WDT-04"] {
            let outcome = try verdict(key, result)
            #expect(outcome.verdict == .pass, "\(key): \(outcome.reason)")
        }
        for key in ["AVPS2-PMEM-01", "AVPS2-PMEM-04"] {
            let outcome = try verdict(key, result)
            #expect(outcome.verdict == .notApplicable && outcome.reason.contains("cannot offer"), "\(key): \(outcome.reason)")
        }
        #expect(try verdict("AVPS2-RNG-02", result).verdict == .pass, "the rest of the target was examined")
        // virt describes the guest's hardware with a flattened device tree, not ACPI (no UEFI here).
        let buses = try probe("platform.buses", result)
        #expect(buses.facts["hardware_description"] == .string("devicetree"), "\(buses.facts)")
        #expect(buses.facts["devicetree_model"]?.description.contains("linux,dummy-virt") == true, "\(buses.facts)")
        #expect(try verdict("AVPS2-BOOT-02", result).verdict == .pass)
    }
}

/// The QEMU adapter with the watchdog's expiry action turned into `none`: the negative control of
/// the destructive test (QEMU reports the expiry, nothing resets the guest).
extension RewrittenQEMU {
    static let watchdogIgnoring = RewrittenQEMU { launch in
        if let index = launch.commandLine.firstIndex(of: "-watchdog-action") { launch.commandLine[index + 1] = "none" }
    }
}
