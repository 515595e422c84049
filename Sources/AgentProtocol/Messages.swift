import AVPSModel
import Foundation

/// Protocol version this host speaks (see Sources/avps-agent/PROTOCOL.md).
public let agentProtocolVersion = 1

/// The unsolicited frame the agent sends once its channel is open.
public struct ReadyEvent: Decodable, Sendable, Equatable {
    public var agentVersion: String
    public var protocolVersion: Int

    enum CodingKeys: String, CodingKey {
        case agentVersion = "agent_version"
        case protocolVersion = "protocol_version"
    }
}

/// Result of `inventory`.
public struct InventoryResult: Decodable, Sendable, Equatable {
    public var devices: [VirtioDeviceRecord]
}

/// An empty result object (`{}`), e.g. for `poweroff`.
public struct EmptyResult: Decodable, Sendable, Equatable {}

struct ErrorBody: Decodable, Sendable {
    var code: String
    var message: String?
}

/// What every incoming frame has in common; decoded first to route it.
struct FrameHeader: Decodable {
    var id: Int?
    var event: String?
    var error: ErrorBody?
    var hasResult: Bool

    enum CodingKeys: String, CodingKey { case id, event, error, result }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        event = try container.decodeIfPresent(String.self, forKey: .event)
        error = try container.decodeIfPresent(ErrorBody.self, forKey: .error)
        hasResult = container.contains(.result)
    }
}

struct ResultFrame<R: Decodable>: Decodable {
    var result: R
}

/// A request frame: `{"id":N,"method":"name","params":{...}}`.
struct RequestFrame<P: Encodable>: Encodable {
    var id: Int
    var method: String
    var params: P

    /// The frame's bytes (without the newline), as the host sends it and an autonomous plan holds it.
    static func encoded(id: Int, method: String, params: P) throws(AgentError) -> Data {
        do {
            return try JSONEncoder().encode(RequestFrame(id: id, method: method, params: params))
        } catch {
            throw .protocolViolation("cannot encode \(method) request: \(error)")
        }
    }
}

struct HelloParams: Encodable {
    var protocolVersion = agentProtocolVersion
    enum CodingKeys: String, CodingKey { case protocolVersion = "protocol_version" }
}

struct NoParams: Encodable {}

/// Parameters of `probe`: which behaviour to measure, on which device, with the probe's own knobs.
public struct ProbeRequest: Encodable, Sendable, Equatable {
    public var name: String
    /// Kernel name of the device (`virtio2`); nil (left out of the frame) for a probe about the
    /// platform rather than one virtio device (`platform.buses`, `watchdog.basic`).
    public var device: String?
    public var params: [String: FactValue]

    public init(name: String, device: String?, params: [String: FactValue] = [:]) {
        self.name = name
        self.device = device
        self.params = params
    }
}
