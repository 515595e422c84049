import AVPSModel
import Foundation
@testable import HypervisorCore
import Testing
@testable import Runner

/// When the destructive watchdog test runs and what it leaves when it does not.
@Suite("watchdog expiry planning")
struct PlatformRunnerTests {
    func launch(_ devices: [DeviceSpec], adapter: String = "qemu", withheld: [String: String] = [:]) -> PreparedLaunch {
        let target = TargetSpec(name: "t", adapter: adapter, devices: devices)
        var launch = PreparedLaunch(target: target, accelerator: "tcg", commandLine: [], expectedVirtioDevices: [],
                                    workspace: URL(fileURLWithPath: "/w"), agentSocket: "", qmpSocket: "",
                                    serialLog: URL(fileURLWithPath: "/w/s"), stderrLog: URL(fileURLWithPath: "/w/e"))
        launch.withheldPlatformDevices = withheld
        return launch
    }

    @Test func theExpiryTestRunsOnlyWhereAskedForAndPossible() {
        let armed = DeviceSpec.watchdog(expiry: WatchdogExpiry(seconds: 2))
        #expect(WatchdogExpiryStage.skipReason(launch([armed])) == nil)
        #expect(WatchdogExpiryStage.skipReason(launch([.entropy])) == "the target has no watchdog device")
        #expect(WatchdogExpiryStage.skipReason(launch([.watchdog(expiry: nil)]))?.contains("expiry_test: true") == true)
        #expect(WatchdogExpiryStage.skipReason(launch([armed], withheld: ["watchdog": "no model"]))
                == "the hypervisor cannot offer a watchdog: no model")
        // QMP events on qemu and ssh, the guest's boot id on external targets; libvirt not yet.
        for adapter in ["ssh", "external"] { #expect(WatchdogExpiryStage.skipReason(launch([armed], adapter: adapter)) == nil) }
        #expect(WatchdogExpiryStage.skipReason(launch([armed], adapter: "libvirt"))?.contains("the libvirt adapter has neither yet") == true)
    }

    @Test func withheldDevicesBecomeObservationsByIdAndByKind() {
        var withheld = launch([.sound, .watchdog(expiry: nil)])
        withheld.withhold(["sound": "no virtio-sound-pci", "watchdog": "aarch64"])
        #expect(withheld.withheldDevices == [25: "no virtio-sound-pci"])
        #expect(withheld.withheldPlatformDevices == ["watchdog": "aarch64"])
        #expect(TargetRunner.withheldObservations(withheld) == [
            "hypervisor.withheld.sound": .string("no virtio-sound-pci"), "hypervisor.withheld.watchdog": .string("aarch64"),
        ])
    }

    @Test func planPredictsWithheldKindsAndLeavesProbeConditionsToTheGuest() {
        let condition = Condition.all([.notWithheld(kind: "watchdog"),
                                       .probe(name: "watchdog.basic", fact: "watchdog_count", Comparison(.ge, .int(1)))])
        let requirement = Requirement(key: "WDT", title: "t", chapter: "Watchdog", category: "watchdog", level: .should,
                                      appliesIf: condition, check: .host(observation: "watchdog_expiry_reset", Comparison(.eq, .bool(true))),
                                      confidence: .derived, rationale: "r")
        let withheld = Planner.row(requirement, offered: [3], withheldKinds: ["watchdog": "aarch64 virt has none"])
        #expect(withheld.decision == "NOT_APPLICABLE" && withheld.reason == "the hypervisor cannot offer a watchdog device: aarch64 virt has none")
        #expect(Planner.row(requirement, offered: [3]).decision == "RUN")
    }
}
