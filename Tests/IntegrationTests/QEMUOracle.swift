import AVPSModel
@testable import HypervisorCore
@testable import QEMUHypervisor

/// QEMU's host-features per virtio device, from the runner's `qemu.host_features.<key>`
/// observations (QEMU's own `x-query-virtio-status`, an oracle independent of the agent). Keys are
/// QOM paths for virtio-mmio devices (matched to device ids through the adapter's `dev-<kind><n>`
/// ids: `id<N>`) and PCI addresses for PCI ones. `queueCount` comes from `qemu.num_vqs.<key>`.
func qemuHostFeatures(_ target: TargetSpec, _ evidence: Evidence, byPCIAddress: Bool) -> [String: QEMUVirtioDevice] {
    var ids: [String: Int] = ["/machine/peripheral/vser0": 3, "/machine/peripheral/dev-vsock": 19]
    for (index, device) in target.devices.enumerated() { ids["/machine/peripheral/dev-\(device.kind)\(index)"] = device.virtioDeviceID }
    var result: [String: QEMUVirtioDevice] = [:]
    for (key, value) in evidence.hostObservations where key.hasPrefix("qemu.host_features.") {
        let location = String(key.dropFirst("qemu.host_features.".count))
        guard case .list(let values) = value else { continue }
        let bits = FeatureBits(values.compactMap { $0.number.map { Int($0) } })
        let id = byPCIAddress ? evidence.devices.first { $0.busAddress == location }?.deviceID : ids[location]
        guard let id else { continue }
        let queues = evidence.hostObservations["qemu.num_vqs.\(location)"]?.number.map { Int($0) }
        result[byPCIAddress ? location : "id\(id)"] = QEMUVirtioDevice(path: location, name: "", deviceID: id, busAddress: nil,
                                                                     hostFeatures: bits, unmappedNames: [], queueCount: queues)
    }
    return result
}
