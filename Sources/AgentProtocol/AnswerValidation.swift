import AVPSModel

/// What an agent's answer may not say, whatever the guest does: values outside the ranges VIRTIO
/// defines (reference/virtio.md), answers to another request, and host-side facts.
///
/// An entropy device with status 0x10F was once scored as having reached DRIVER_OK, and a lying
/// agent answered a different request with a `console.transfer` result carrying the host's own
/// `host_pattern_ok`. Both are the agent's word against the protocol, so they are refused here.
enum AnswerValidation {
    /// Device status is one byte (VIRTIO 1.x §2.1, `device_status`).
    static let statusRange = 0...0xFF
    /// Device ids the VIRTIO specification can assign (§5; 0 is reserved, the field is 6 bits wide
    /// in the PCI modern id 0x1040 + id, 0x1040...0x107F).
    static let deviceIDRange = 1...63
    /// Feature bits any transport view exposes today (two 64-bit words, or four 32-bit selects).
    static let featureBitLimit = 128
    /// Feature words the agent reads through a selector (0..7).
    static let featureWordLimit = 8

    /// What is wrong with one inventory record (empty when nothing).
    static func problems(_ device: VirtioDeviceRecord) -> [String] {
        var found: [String] = []
        let name = AgentBudget.capped(device.name, 64)
        if !statusRange.contains(device.status) {
            found.append("\(name): status 0x\(String(device.status, radix: 16)) is outside the 8-bit device status register")
        }
        if !deviceIDRange.contains(device.deviceID) {
            found.append("\(name): device id \(device.deviceID) is outside VIRTIO's 1...63")
        }
        for (view, bits) in [("negotiated", device.negotiatedFeatures.bits), ("offered", device.offered?.bits?.bits ?? [])] {
            if let bad = bits.first(where: { !(0..<featureBitLimit).contains($0) }) {
                found.append("\(name): \(view) feature bit \(bad) is outside 0...\(featureBitLimit - 1)")
            }
        }
        if let words = device.offered?.words {
            if words.count > featureWordLimit {
                found.append("\(name): \(words.count) feature words; the agent reads at most \(featureWordLimit)")
            } else if let bad = words.first(where: { !(0...0xFFFF_FFFF).contains($0) }) {
                found.append("\(name): feature word \(bad) is not a 32-bit value")
            }
        }
        if let bad = device.pciCapabilities?.first(where: { !(1...15).contains($0) }) {
            found.append("\(name): PCI capability cfg_type \(bad) is outside the 1...15 the agent reports")
        }
        return found
    }

    /// Why a probe answer does not answer `request`, if it does not.
    static func mismatch(_ result: ProbeResult, _ request: ProbeRequest) -> String? {
        guard result.name != request.name || result.device != request.device else { return nil }
        return "probe answer is for '\(AgentBudget.capped(result.name, 64))' on \(result.device.map { AgentBudget.capped($0, 64) } ?? "no device"), "
            + "the request was '\(request.name)' on \(request.device ?? "no device")"
    }

    /// A probe result without the host-side facts (`host_*`) the agent must not report: they are
    /// what the host itself observes (console bytes read on the host end, the pmem pattern in the
    /// backing file). An agent that sends them gets an `error` result saying so.
    static func refusingHostFacts(_ result: ProbeResult) -> ProbeResult {
        let forged = result.facts.keys.filter(ProbeResult.isHostObserved).sorted()
        guard !forged.isEmpty else { return result }
        var refused = result
        for key in forged { refused.facts[key] = nil }
        refused.status = .error
        refused.reason = "the agent reported host-side facts it cannot observe (\(forged.prefix(5).joined(separator: ", "))); refused"
        return refused
    }
}
