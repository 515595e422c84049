import AgentProtocol
import HypervisorCore
import Synchronization

/// An SSH channel as the agent's byte stream: the agent's (or QMP's) Unix socket on the remote
/// host, forwarded to us. Reads wait in short slices on the connection's queue, so other channels
/// of the same connection (QMP, the remote QEMU's status) are served in between and a
/// cancellation is noticed within one slice.
package final class SSHChannelStream: ByteStream {
    package static let sliceMilliseconds: Int32 = 50
    private let channel: SSHChannel
    private let closed = Atomic<Bool>(false)

    package init(_ channel: SSHChannel) { self.channel = channel }

    package func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        let start = ContinuousClock.now
        while true {
            if closed.load(ordering: .acquiring) { throw .closed(while: waitingFor) }
            if Task.isCancelled { throw .cancelled }
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                throw .timeout(waitingFor: waitingFor, seconds: (ContinuousClock.now - start).seconds)
            }
            let wait = min(Self.sliceMilliseconds, Int32(max(1, left.seconds * 1000)))
            let chunk: SSHChannel.Chunk
            do {
                chunk = try await channel.read(maxBytes: maxBytes, waitMilliseconds: wait)
            } catch {
                throw .closed(while: "\(waitingFor) (\(error))")
            }
            switch chunk {
            case .data(let bytes): return bytes
            case .endOfFile: return []
            case .nothingYet: continue
            }
        }
    }

    package func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {
        if closed.load(ordering: .acquiring) { throw .closed(while: "writing") }
        do {
            try await channel.write(bytes)
        } catch {
            throw .closed(while: "writing (\(error))")
        }
    }

    /// Pending reads end within one slice; the channel is freed on the connection's queue.
    package func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        channel.closeSoon()
    }
}
