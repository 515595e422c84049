import AgentProtocol
import Dispatch
import Synchronization
import VhostUserVsock

/// A stream to a guest vsock port through the host kernel (AF_VSOCK), for hosts with
/// `/dev/vhost-vsock`. Like `HybridVsockStream` it connects on first use and retries until that
/// call's deadline while the guest is still booting.
package final class KernelVsockStream: ByteStream {
    package let cid: UInt32
    package let port: UInt32
    private let state = Mutex<(inner: UnixSocketStream?, closed: Bool)>((nil, false))
    private let queue = DispatchQueue(label: "avps.vsock-connect")

    package init(cid: UInt32, port: UInt32) {
        self.cid = cid
        self.port = port
    }

    private func connected(deadline: ContinuousClock.Instant) async throws(AgentError) -> UnixSocketStream {
        while true {
            let (inner, closed) = state.withLock { ($0.inner, $0.closed) }
            if closed { throw .closed(while: "connecting to vsock \(cid):\(port)") }
            if let inner { return inner }
            if ContinuousClock.now >= deadline { throw .timeout(waitingFor: "vsock \(cid):\(port) to accept", seconds: 0) }
            let (cid, port) = (self.cid, self.port)
            let fd: Int32? = try await BlockingIO.run(on: queue) { _ in
                switch KernelVsock.connect(cid: cid, port: port) {
                case .success(let fd): return .success(fd)
                case .failure: return .success(nil)  // not listening yet: retry
                }
            }
            guard let fd else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            let stream = UnixSocketStream.adopting(fd: fd, label: "vsock \(cid):\(port)")
            let kept = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.inner = stream
                return true
            }
            if !kept { stream.close() }
        }
    }

    package func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        try await connected(deadline: deadline).read(maxBytes: maxBytes, deadline: deadline, waitingFor: waitingFor)
    }

    package func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {
        try await connected(deadline: deadline).write(bytes, deadline: deadline)
    }

    package func close() {
        let inner = state.withLock { state -> UnixSocketStream? in
            state.closed = true
            return state.inner
        }
        inner?.close()
    }
}
