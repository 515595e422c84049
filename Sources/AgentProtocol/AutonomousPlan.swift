import AVPSModel
import Foundation

/// The request frames an agent answers in autonomous mode (PROTOCOL.md 8), written by the host
/// beforehand: hello, inventory, the probes, poweroff — encoded exactly as `AgentClient` sends
/// them, so the playback (`RecordedAgentStream`) finds each answer by its request.
///
/// A probe names its device by virtio id (`@2`: every block device); the agent runs it once per
/// device of that id, because the host cannot know the guest's kernel names beforehand.
public enum AutonomousPlan {
    public static func placeholder(deviceID: Int) -> String { "@\(deviceID)" }

    public static func frames(probes: [ProbeRequest]) throws(AgentError) -> [String] {
        var frames = [try frame(1, "hello", HelloParams()), try frame(2, "inventory", NoParams())]
        for (index, probe) in probes.enumerated() {
            frames.append(try frame(3 + index, "probe", probe))
        }
        frames.append(try frame(3 + probes.count, "poweroff", NoParams()))
        return frames
    }

    private static func frame<P: Encodable>(_ id: Int, _ method: String, _ params: P) throws(AgentError) -> String {
        String(decoding: try RequestFrame.encoded(id: id, method: method, params: params), as: UTF8.self)
    }
}
