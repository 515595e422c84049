/// Everything that can go wrong in the vhost-user-vsock backend: one error type for this layer.
///
/// `malformed` and `guestMemory` are the frontend's or guest's fault and are answered by refusing
/// the message or dropping the chain; the others concern the host.
public enum VhostUserError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A vhost-user message that does not match its request's layout.
    case malformed(String)
    /// A guest address or descriptor chain outside guest memory, looping, or too long.
    case guestMemory(String)
    /// A system call failed.
    case io(operation: String, errno: Int32)
    /// The command line or configuration is unusable.
    case configuration(String)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed vhost-user message: \(why)"
        case .guestMemory(let why): "guest memory: \(why)"
        case .io(let operation, let code): "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .configuration(let why): "configuration: \(why)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
