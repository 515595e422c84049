/// A bidirectional byte stream to an agent (virtio-serial socket, vsock, TCP, SSH channel).
///
/// Reads return an empty array at end of stream. Every call has a deadline; none blocks Swift's
/// cooperative pool.
public protocol ByteStream: Sendable {
    func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8]
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError)
    func close()
}
