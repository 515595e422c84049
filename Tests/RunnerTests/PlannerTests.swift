import AVPSModel
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
