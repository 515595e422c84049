import AVPSModel
import AgentProtocol
import Foundation
import Testing
@testable import Runner

@Suite("Plan predictions")
struct PlannerTests {
    func requirement(_ key: String, appliesIf: Condition?, check: Check?) -> Requirement {
        Requirement(key: key, title: "title \(key)", chapter: "Storage", category: "storage", level: .must,
                    appliesIf: appliesIf, check: check, confidence: .derived, rationale: "r")
    }

    @Test("a requirement on a device the target does not request is NOT_APPLICABLE, with the reason")
    func absentDevice() {
        let row = Planner.row(requirement("S", appliesIf: .devicePresent(.deviceID(2)), check: .driverReady(.deviceID(2))),
                              offered: [1, 3])
        #expect(row.decision == "NOT_APPLICABLE")
        #expect(row.reason.contains("block"))
    }

    @Test("requested device → RUN; no check → UNTESTED")
    func runAndUntested() {
        #expect(Planner.row(requirement("S", appliesIf: .devicePresent(.deviceID(2)), check: .driverReady(.deviceID(2))),
                            offered: [2]).decision == "RUN")
        #expect(Planner.row(requirement("W", appliesIf: nil, check: nil), offered: [2]).decision == "UNTESTED")
    }

    @Test("a requested device the hypervisor cannot offer is NOT_APPLICABLE at plan time, naming the hypervisor")
    func withheldDevice() {
        let row = Planner.row(requirement("SND", appliesIf: .devicePresent(.deviceID(25)), check: .driverReady(.deviceID(25))),
                              offered: [3, 4], withheld: [25: "QEMU emulator version 7.2.22 has no virtio-sound-pci device"])
        #expect(row.decision == "NOT_APPLICABLE")
        #expect(row.reason == "the hypervisor cannot offer a sound device: QEMU emulator version 7.2.22 has no virtio-sound-pci device")
    }
}

/// The console byte probe is planned only for ports the runner can read, and its host-side
/// pattern is the agent's (the same xorshift32 stream, checked here against known values).
@Suite("console transfer planning")
struct ConsoleTransferPlanTests {
    @Test func plannedPerReadablePortOnly() {
        let console = VirtioDeviceRecord(name: "virtio1", deviceID: 3, vendorID: 0x1af4, transport: .pci,
                                         negotiatedFeatures: FeatureBits([]), status: 15, driver: "virtio_console")
        let none = ProbePlan(echoPort: nil, disksAreScratch: true).requests(for: [console])
        #expect(none.map(\.name) == ["console.ports", "platform.buses", "watchdog.basic"])
        let two = ProbePlan(echoPort: nil, disksAreScratch: true, consolePorts: ["org.avps.console.2", "org.avps.console.5"])
            .requests(for: [console])
        #expect(two.map(\.name) == ["console.ports", "console.transfer", "console.transfer", "platform.buses", "watchdog.basic"])
        #expect(two[2].params["port"] == .string("org.avps.console.5"))
    }

    @Test func patternIsXorshift32LowBytes() {
        // seed 1: states 0x00042021, 0x04080601, 0x9dcca8c5 (Marsaglia xorshift32 13/17/5).
        #expect(ConsoleReceiver.pattern(seed: 1, count: 3) == [0x21, 0x01, 0xc5])
        #expect(ConsoleReceiver.pattern(seed: 0, count: 8) == ConsoleReceiver.pattern(seed: 0x9e37_79b9, count: 8))
    }

    /// A declared host end nobody serves is the platform's (the port delivered nothing); a path
    /// the harness cannot use is not.
    @Test func consoleHostEndThatNeverAcceptsIsThePlatformsFault() {
        let late = ConsoleReceiver.platformFault(.timeout(waitingFor: "socket /s to accept", seconds: 5), socket: "/s")
        #expect(late?["host_pattern_ok"] == .bool(false) && late?["host_bytes_received"] == .int(0))
        #expect(late?["host_error"]?.description.contains("nothing accepted a connection on /s") == true, "\(late ?? [:])")
        let refused = ConsoleReceiver.platformFault(.io(operation: "connect /s", errno: ECONNREFUSED), socket: "/s")
        #expect(refused?["host_pattern_ok"] == .bool(false))
        #expect(ConsoleReceiver.platformFault(.protocolViolation("socket path longer than 107 bytes"), socket: "/s") == nil)
        #expect(ConsoleReceiver.platformFault(.io(operation: "socket", errno: EMFILE), socket: "/s") == nil)
    }
}
