import AVPSModel
import HypervisorCore

/// Compares the inventory with the devices an external or libvirt target declares it configured.
///
/// Those adapters have no host-side oracle such as QMP: the declaration is the host's word. A
/// device the agent claims but the target does not declare cannot be true of that configuration
/// (a script declaring one device was credited with the 18 its fake agent claimed); requirements
/// about it become ERROR. A declared device that is absent stays what scoring already says
/// (FAIL, or NOT_APPLICABLE when the profile conditions on it).
enum DeclaredDevices {
    /// Adapters whose targets declare their device set and offer no QMP.
    static let declaringAdapters: Set<String> = ["external", "libvirt"]

    /// `declared.undeclared.<type>` observations for every device type the agent reports beyond
    /// the declaration (empty for other adapters).
    static func observations(_ launch: PreparedLaunch, inventory: [VirtioDeviceRecord]) -> [String: FactValue] {
        guard declaringAdapters.contains(launch.target.adapter) else { return [:] }
        let declared = Set(launch.expectedVirtioDevices).union(channelDevices(launch.target))
        var observations: [String: FactValue] = [:]
        for device in inventory where !declared.contains(device.deviceID) {
            let type = VirtioCatalogue.deviceName(device.deviceID) ?? "device id \(device.deviceID)"
            let names = declared.sorted().map { VirtioCatalogue.deviceName($0) ?? String($0) }.joined(separator: ", ")
            observations[Evidence.undeclaredKey(deviceID: device.deviceID)] = .string(
                "The agent reports a \(type) device (\(device.name)) that target \(launch.target.name) does not declare "
                + "(declared, with the agent's channel: \(names.isEmpty ? "none" : names)); a claim the configuration cannot back.")
        }
        return observations
    }

    /// The device the agent's own channel rides on, which a declaration need not list.
    static func channelDevices(_ target: TargetSpec) -> [Int] {
        guard target.adapter == "external", let channel = target.external?.channel else {
            return target.adapter == "libvirt" ? [3] : []  // libvirt: the agent's virtio-serial channel
        }
        return switch channel {
        case .unix: [3]          // a virtio-serial port
        case .hybridVsock: [19]  // vsock
        case .tcp: [1]           // a network device
        }
    }
}
