import AVPSModel
import Scoring

/// Small builders so each test states only the facts it is about.
enum Make {
    static let guest = GuestIdentity(agentVersion: "test", protocolVersion: 1, kernelRelease: "6.1", machine: "x86_64")

    static func device(_ name: String, id: Int, bits: [Int] = [28, 29, 32], status: Int = 0x0f,
                       driver: String? = "virtio_test", address: String? = nil, offered: [Int]? = nil) -> VirtioDeviceRecord {
        var device = VirtioDeviceRecord(name: name, deviceID: id, vendorID: 0x1af4, transport: .pci, busAddress: address,
                                        negotiatedFeatures: FeatureBits(bits), status: status, driver: driver)
        device.offered = offered.map { OfferedFeatures(bits: FeatureBits($0), method: "pci-cfg-window") }
        return device
    }

    static func evidence(_ devices: VirtioDeviceRecord...) -> Evidence {
        Evidence(guest: guest, devices: devices)
    }

    static func requirement(_ check: Check?, appliesIf: Condition? = nil, level: RequirementLevel = .must) -> Requirement {
        Requirement(key: "T-01", title: "A test requirement", chapter: "Storage", category: "storage",
                    level: level, appliesIf: appliesIf, check: check, confidence: .derived, rationale: "test")
    }

    /// Scores one requirement.
    static func score(_ check: Check?, appliesIf: Condition? = nil, _ evidence: Evidence) -> RequirementResult? {
        let profile = Profile(id: "p", title: "p", specVersion: "2.0",
                              requirements: [requirement(check, appliesIf: appliesIf)])
        return Scorer.score(profile, evidence: evidence).first
    }

    /// Scores a fully specified requirement on a fixed day (waivers depend on it).
    static func score(_ requirement: Requirement, _ evidence: Evidence, on day: String = "2026-06-01") -> RequirementResult? {
        let profile = Profile(id: "p", title: "p", specVersion: "2.0", requirements: [requirement])
        return CalendarDay(day).flatMap { Scorer.score(profile, evidence: evidence, on: $0).first }
    }

    static let block = 2, entropy = 4, net = 1
}
