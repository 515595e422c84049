import AVPSModel
import HypervisorCore
import QEMUHypervisor
import Testing
@testable import Runner

/// The agent's inventory against QEMU's own x-query-virtio-status: device list and offered bits.
@Suite("QMP corroboration of the inventory")
struct QMPCorroborationTests {
    static func agent(_ id: Int, at address: String, offered: [Int], legacy: Bool = false) -> VirtioDeviceRecord {
        var record = VirtioDeviceRecord(name: "virtio\(id)", deviceID: id, vendorID: 0x1AF4, transport: .pci, busAddress: address,
                                        negotiatedFeatures: FeatureBits([32]), status: 15, driver: "x")
        record.offered = OfferedFeatures(bits: FeatureBits(offered), method: "pci-cfg-window")
        record.legacy = legacy
        return record
    }

    static func qemu(_ id: Int, at address: String, host: [Int]) -> QEMUVirtioDevice {
        QEMUVirtioDevice(path: "/machine/peripheral/dev\(id)/virtio-backend", name: "d", deviceID: id, busAddress: address,
                         hostFeatures: FeatureBits(host), unmappedNames: [])
    }

    @Test("agreement: same ids, offered bits equal QEMU's modern view (legacy-only bits hidden)")
    func agrees() {
        let found = QMPCorroboration.disagreements(
            agent: [Self.agent(4, at: "0000:00:02.0", offered: [28, 29, 32]), Self.agent(2, at: "0000:00:03.0", offered: [1, 2, 32])],
            qemu: [Self.qemu(2, at: "0000:00:03.0", host: [1, 2, 24, 27, 32]), Self.qemu(4, at: "0000:00:02.0", host: [24, 28, 29, 30, 32])])
        #expect(found.isEmpty, "\(found)")
    }

    @Test("QEMU 10's vhost-user devices show the legacy-only bits on the modern interface: either presentation agrees, nothing more")
    func unhiddenLegacyBits() {
        let qemu = [Self.qemu(19, at: "0000:00:04.0", host: [24, 27, 28, 29, 30, 32, 40])]
        for offered in [[24, 27, 28, 29, 30, 32, 40], [28, 29, 32, 40]] {
            let found = QMPCorroboration.disagreements(agent: [Self.agent(19, at: "0000:00:04.0", offered: offered)], qemu: qemu)
            #expect(found.isEmpty, "\(offered): \(found)")
        }
        let forged = QMPCorroboration.disagreements(agent: [Self.agent(19, at: "0000:00:04.0", offered: [24, 28, 29, 32, 40, 41])],
                                                    qemu: qemu)
        #expect(forged.count == 1, "a bit QEMU does not hold is still a disagreement")
    }

    @Test("a device the agent claims but QEMU does not have is named with both lists")
    func claimedDevice() {
        let found = QMPCorroboration.disagreements(
            agent: [Self.agent(4, at: "0000:00:02.0", offered: [32]), Self.agent(26, at: "0000:00:09.0", offered: [32])],
            qemu: [Self.qemu(4, at: "0000:00:02.0", host: [32])])
        #expect(found.first == "device ids: the agent reports [4, 26], QEMU's x-query-virtio lists [4]", "\(found)")
    }

    @Test("offered bits that QEMU does not offer are named with both values")
    func forgedBits() {
        let found = QMPCorroboration.disagreements(agent: [Self.agent(2, at: "0000:00:03.0", offered: [1, 2, 15, 32])],
                                                   qemu: [Self.qemu(2, at: "0000:00:03.0", host: [1, 2, 32])])
        #expect(found == ["virtio2 at 0000:00:03.0: the agent reports offered bits [1, 2, 15, 32], QEMU's host-features give [1, 2, 32]"])
    }

    @Test("a legacy-driven device is compared on the low word, hidden bits included")
    func legacy() {
        let found = QMPCorroboration.disagreements(agent: [Self.agent(4, at: "0000:00:02.0", offered: [24, 28, 30], legacy: true)],
                                                   qemu: [Self.qemu(4, at: "0000:00:02.0", host: [24, 28, 30, 32])])
        #expect(found.isEmpty, "\(found)")
    }
}
