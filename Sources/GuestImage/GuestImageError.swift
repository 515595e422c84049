/// The single error type of the GuestImage layer.
///
/// Every case names the file, directory, package or command involved, because the person reading
/// the message is usually a vendor engineer on an unfamiliar host who must fix it without reading
/// our source. `kind` lets the command layer choose an exit code without string matching.
public enum GuestImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Whether the user can fix this by changing the invocation (`badInput`) or must fix the host
    /// (`infrastructure`: missing tools, apt lists, disk trouble).
    public enum Kind: Sendable, Equatable {
        case badInput
        case infrastructure
    }

    /// A required host tool is not installed. `hint` says which package provides it.
    case toolMissing(tool: String, hint: String)
    /// An external command ran but failed. `output` is the tail of its stderr/stdout.
    case commandFailed(command: String, status: String, output: String)
    /// apt does not know the package: usually the package lists were never downloaded.
    case aptPackageUnknown(package: String)
    /// The kernel package resolved or unpacked, but not into something usable.
    case kernelPackageUnusable(package: String, reason: String)
    /// A downloaded host-side package (QEMU from backports) cannot run on this host.
    case packageUnusable(package: String, reason: String)
    /// `--kernel` / `--modules` problems (file missing, no modules.dep, only one of the pair given).
    case kernelInputInvalid(path: String, reason: String)
    /// A modules.dep line we cannot parse.
    case modulesDepMalformed(path: String, line: Int, text: String)
    /// No `Sources/avps-agent` found; `searched` lists every place we looked.
    case agentSourceNotFound(searched: [String])
    /// The agent did not compile; `diagnostics` is the compiler's output.
    case agentCompileFailed(sourceDirectory: String, diagnostics: String)
    /// busybox is missing or dynamically linked (it must run inside an initramfs with no libc).
    case busyboxUnusable(path: String, reason: String)
    /// A file system operation failed.
    case io(operation: String, path: String, reason: String)

    public var kind: Kind {
        switch self {
        case .kernelInputInvalid, .modulesDepMalformed, .agentSourceNotFound, .agentCompileFailed:
            return .badInput
        case .kernelPackageUnusable:
            return .badInput
        case .toolMissing, .commandFailed, .aptPackageUnknown, .busyboxUnusable, .io, .packageUnusable:
            return .infrastructure
        }
    }

    public var description: String {
        switch self {
        case let .toolMissing(tool, hint):
            return "required tool '\(tool)' was not found in PATH; \(hint)"
        case let .commandFailed(command, status, output):
            let detail = output.isEmpty ? "" : ":\n\(output)"
            return "command failed (\(status)): \(command)\(detail)"
        case let .aptPackageUnknown(package):
            return "apt cannot locate package '\(package)'. Run `apt-get update` to download the package lists "
                + "(and check the package name), or pass --kernel PATH --modules DIR to use a kernel you already have."
        case let .kernelPackageUnusable(package, reason):
            return "kernel package '\(package)' cannot be used: \(reason)"
        case let .packageUnusable(package, reason):
            return "package '\(package)' cannot be used on this host: \(reason)"
        case let .kernelInputInvalid(path, reason):
            return "\(path): \(reason)"
        case let .modulesDepMalformed(path, line, text):
            return "\(path):\(line): malformed modules.dep line: \(text)"
        case let .agentSourceNotFound(searched):
            return "cannot find the avps agent (Sources/avps-agent in a checkout, agent/ in an installed share). "
                + "Pass --agent-source DIR, set AVPS_AGENT_SOURCE, or AVPS_HOME. Looked in: " + searched.joined(separator: ", ")
        case let .agentCompileFailed(dir, diagnostics):
            return "the avps agent in \(dir) failed to compile:\n\(diagnostics)"
        case let .busyboxUnusable(path, reason):
            return "busybox at \(path) cannot be used: \(reason). Install Debian's busybox-static package "
                + "(apt-get install busybox-static)."
        case let .io(operation, path, reason):
            return "\(operation) \(path) failed: \(reason)"
        }
    }
}
