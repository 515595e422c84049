import AVPSModel
import HypervisorCore
import QEMUHypervisor

/// Checks the agent's inventory against QEMU's own account of its virtio devices (QMP
/// `x-query-virtio` + `x-query-virtio-status`), on every run where QMP is there.
///
/// Without it, whatever speaks the agent protocol on the channel is believed: a script with no VM
/// behind it earned 66 PASS through the external adapter. On the qemu adapter the host holds an
/// independent oracle, so the device list and the offered feature bits are the host's word too.
/// A disagreement means the agent (or the channel) cannot be trusted; the inventory is then not
/// used for any verdict.
enum QMPCorroboration {
    /// What the agent and QEMU disagree about, each naming both values (empty: they agree).
    static func disagreements(agent: [VirtioDeviceRecord], qemu: [QEMUVirtioDevice]) -> [String] {
        var found: [String] = []
        let agentIDs = agent.map(\.deviceID).sorted()
        let qemuIDs = qemu.map(\.deviceID).sorted()
        if agentIDs != qemuIDs {
            found.append("device ids: the agent reports \(agentIDs), QEMU's x-query-virtio lists \(qemuIDs)")
        }
        for device in agent {
            guard let address = device.busAddress, let offered = device.offered?.bits,
                  let host = qemu.first(where: { $0.busAddress == address }) else { continue }
            if host.deviceID != device.deviceID {
                found.append("\(device.name) at \(address): the agent reports device id \(device.deviceID), QEMU \(host.deviceID)")
                continue
            }
            // Through the legacy interface only the low word shows, hidden bits included. Through the
            // modern one QEMU hides the legacy-only bits (24, 27, 30) per device class: QEMU 7.2 hides
            // them everywhere, QEMU 10's vhost-user device classes show them. Either presentation of
            // what QEMU itself holds is the truth; anything else is not.
            let expected = device.legacy == true ? host.legacyView : host.modernView
            let seen = device.legacy == true ? FeatureBits(offered.bits.filter { $0 < 32 }) : offered
            let unhidden = FeatureBits(expected.bits + host.hostFeatures.bits.filter { [24, 27, 30].contains($0) })
            if seen != expected && (device.legacy == true || seen != unhidden) {
                found.append("\(device.name) at \(address): the agent reports offered bits \(seen.bits), "
                    + "QEMU's host-features give \(expected.bits)")
            }
        }
        return found
    }

    /// How many PCI devices had their offered bits compared (for the host observation).
    static func comparedOffered(agent: [VirtioDeviceRecord], qemu: [QEMUVirtioDevice]) -> Int {
        agent.filter { device in
            device.offered?.bits != nil && device.busAddress.map { address in qemu.contains { $0.busAddress == address } } == true
        }.count
    }
}
