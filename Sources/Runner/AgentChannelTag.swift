import AVPSModel
import HypervisorCore

/// Marks the inventory device that exists only because avps added it for its agent: the
/// virtio-serial controller (id 3) when the target asked for no console, or the vsock device
/// (id 19) when it asked for no vsock. External targets declare their own channel inside their
/// own configuration, so nothing is tagged for them.
enum AgentChannelTag {
    static func tag(_ devices: [VirtioDeviceRecord], launch: PreparedLaunch) -> [VirtioDeviceRecord] {
        guard launch.target.adapter != "external" else { return devices }
        let requested = Set(launch.target.devices.compactMap(\.virtioDeviceID))
        let channelID = launch.agentChannel.isVsock ? 19 : 3
        guard !requested.contains(channelID) else { return devices }
        return devices.map { device in
            var tagged = device
            if device.deviceID == channelID { tagged.agentChannel = true }
            return tagged
        }
    }
}
