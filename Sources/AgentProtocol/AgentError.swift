/// Everything that can go wrong between the host and the in-guest agent.
///
/// One error type for this layer. The runner maps it to a verdict: every case here means the harness
/// could not learn something (INFRA), never that the platform failed a requirement.
public enum AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No complete answer before the deadline; `waitingFor` names what we were waiting for.
    case timeout(waitingFor: String, seconds: Double)
    /// The peer closed the stream.
    case closed(while: String)
    /// A system call failed.
    case io(operation: String, errno: Int32)
    /// The peer sent something the protocol does not allow.
    case protocolViolation(String)
    /// The agent sent more than one request may receive (`AgentBudget`) without answering it.
    case flooded(waitingFor: String, frames: Int, bytes: Int)
    /// The agent answered with an error frame.
    case remote(code: String, message: String)
    /// The surrounding task was cancelled (for example by SIGINT).
    case cancelled

    public var description: String {
        switch self {
        case .timeout(let what, let seconds):
            "timed out after \(Self.format(seconds)) s waiting for \(what)"
        case .closed(let what):
            "connection closed while \(what)"
        case .io(let operation, let errno):
            "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .protocolViolation(let detail):
            "protocol violation: \(detail)"
        case .flooded(let what, let frames, let bytes):
            "agent flooded the host while waiting for \(what): \(frames) frames that answered nothing, \(bytes) bytes received"
        case .remote(let code, let message):
            "agent error \(code): \(message)"
        case .cancelled:
            "cancelled"
        }
    }

    static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
