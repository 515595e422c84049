import AgentProtocol
import Foundation

/// Opens the byte stream to the agent for the launch's channel.
package enum AgentStreams {
    /// Name of the agent's virtio-serial port; the agent finds its port by this name.
    package static let serialPortName = "org.avps.agent.0"
    /// Fixed vsock ports of the agent (Sources/avps-agent/PROTOCOL.md §1.2).
    package static let controlPort: UInt32 = 1024
    package static let bulkPort: UInt32 = 1025

    package static func open(_ launch: PreparedLaunch, deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        try await open(launch, port: controlPort, deadline: deadline)
    }

    /// vsock streams connect lazily (the guest is still booting); virtio-serial connects now.
    package static func open(_ launch: PreparedLaunch, port: UInt32, deadline: ContinuousClock.Instant) async throws -> any ByteStream {
        switch launch.agentChannel {
        case .virtioSerial:
            return try await UnixSocketStream.connect(path: launch.agentSocket, deadline: deadline)
        case .userVsock:
            return HybridVsockStream(path: launch.vsockUDS, port: port)
        case .kernelVsock(let cid):
            return KernelVsockStream(cid: cid, port: port)
        }
    }
}

extension RunningGuest {
    /// A new stream to another vsock port of the guest (the agent's bulk port for measurements);
    /// nil when the agent channel is not vsock.
    public func vsockStream(port: UInt32) async throws -> (any ByteStream)? {
        guard launch.agentChannel.isVsock else { return nil }
        return try await AgentStreams.open(launch, port: port, deadline: .now + .seconds(5))
    }

    /// The agent's bulk port (PROTOCOL.md §1.2).
    public static let agentBulkPort = AgentStreams.bulkPort

    /// A stream to the agent of the guest after it rebooted under the run: vsock connections
    /// end with the old guest, so a new one is opened (it connects once the new agent listens);
    /// the virtio-serial socket outlives the reboot (the agent sends `ready` again on it).
    public func reconnectAgent() async throws -> any ByteStream {
        if case .virtioSerial = launch.agentChannel { return agent }
        agent.close()  // the old guest's connection; nothing more will come on it
        return try await AgentStreams.open(launch, deadline: .now + .seconds(5))
    }
}
