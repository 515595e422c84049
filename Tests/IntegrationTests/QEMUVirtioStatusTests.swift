import AVPSModel
import Foundation
import HypervisorCore
import QEMUHypervisor
import Testing

/// Decoding QEMU 7.2's named feature lists back into bits (no guest needed).
@Suite("QEMU virtio status decoding")
struct QEMUVirtioStatusTests {
    @Test func gpuHostFeaturesFromQEMU72() {
        // As printed by QEMU 7.2 for virtio-gpu (reference/virtio-evidence/qmp-status-after-boot.json).
        let object: [String: Any] = [
            "unknown-dev-features": 1_099_511_627_776,
            "dev-features": ["VHOST_USER_F_PROTOCOL_FEATURES: Vhost-user protocol features negotiation supported",
                             "VIRTIO_GPU_F_EDID: EDID metadata supported"],
            "transports": ["VIRTIO_RING_F_EVENT_IDX: Used & avail. event fields enabled",
                           "VIRTIO_RING_F_INDIRECT_DESC: Indirect descriptors supported",
                           "VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)",
                           "VIRTIO_F_ANY_LAYOUT: Device accepts arbitrary desc. layouts",
                           "VIRTIO_F_NOTIFY_ON_EMPTY: Notify when device runs out of avail. descs. on VQ"],
        ]
        let (bits, unmapped) = QEMUVirtioStatus.decodeFeatures(object, deviceID: 16)
        #expect(unmapped.isEmpty)
        #expect(bits == FeatureBits([1, 24, 27, 28, 29, 30, 32, 40]))
        let device = QEMUVirtioDevice(path: "", name: "virtio-gpu", deviceID: 16, busAddress: nil,
                                      hostFeatures: bits, unmappedNames: [])
        #expect(device.modernView == FeatureBits([1, 28, 29, 32, 40]))
        #expect(device.legacyView == FeatureBits([1, 24, 27, 28, 29, 30]))
    }

    @Test func netHidesGSOFromTheModernView() {
        let device = QEMUVirtioDevice(path: "", name: "virtio-net", deviceID: 1, busAddress: nil,
                                      hostFeatures: FeatureBits([5, 6, 16, 24, 27, 28, 29, 30, 32, 40]), unmappedNames: [])
        #expect(device.modernView == FeatureBits([5, 16, 28, 29, 32, 40]))
    }

    @Test func unknownNamesAreReportedNotDropped() {
        let (bits, unmapped) = QEMUVirtioStatus.decodeFeatures(["dev-features": ["VIRTIO_BLK_F_TELEPORT: no"]], deviceID: 2)
        #expect(bits.bits.isEmpty && unmapped == ["VIRTIO_BLK_F_TELEPORT"])
    }
}
