/// Errors of the hypervisor layer. All of them are infrastructure trouble except `invalidTarget`
/// and `unsupported`, which are a target asking for something this adapter cannot give.
public enum HypervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The adapter cannot do this (a capability it does not have).
    case unsupported(String)
    /// The target description is wrong (a usage error, not a platform failure).
    case invalidTarget(String)
    /// The hypervisor binary is not installed.
    case binaryNotFound(String)
    /// Setting up files, sockets or disks failed.
    case workspace(String)
    /// The hypervisor process could not be started.
    case launchFailed(String)
    /// The hypervisor exited before the guest was ready; `detail` holds its stderr tail.
    case exitedEarly(status: String, detail: String)
    /// The QMP control channel failed.
    case control(String)

    public var description: String {
        switch self {
        case .unsupported(let what): "unsupported by this adapter: \(what)"
        case .invalidTarget(let why): "invalid target: \(why)"
        case .binaryNotFound(let name): "\(name) not found; install it (Debian: apt-get install qemu-system-x86)"
        case .workspace(let why): "workspace: \(why)"
        case .launchFailed(let why): "could not start the hypervisor: \(why)"
        case .exitedEarly(let status, let detail):
            "hypervisor exited early (\(status))" + (detail.isEmpty ? "" : ": \(detail)")
        case .control(let why): "QMP: \(why)"
        }
    }
}
