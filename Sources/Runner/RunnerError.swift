import AgentProtocol
import HypervisorCore

/// Errors that stop a run before any target is examined (bad suite, missing profile).
/// Trouble with one target never throws: it becomes that target's INFRA result.
public enum RunnerError: Error, Sendable, CustomStringConvertible {
    case usage(String)
    case infrastructure(String)

    public var description: String {
        switch self {
        case .usage(let message): message
        case .infrastructure(let message): message
        }
    }
}

/// Per-target timeouts. Defaults are scaled for the accelerator: TCG emulates every instruction.
public struct RunTimeouts: Sendable {
    /// From `cont` until the agent's ready event.
    public var boot: Duration
    /// One agent request.
    public var request: Duration
    /// From hypervisor start until its control channel (QMP, or an external agent channel) answers.
    public var control: Duration

    public init(boot: Duration, request: Duration = .seconds(30), control: Duration = .seconds(30)) {
        self.boot = boot
        self.request = request
        self.control = control
    }

    public static func defaults(accelerator: String) -> RunTimeouts {
        accelerator == "kvm" ? RunTimeouts(boot: .seconds(30), request: .seconds(15))
                             : RunTimeouts(boot: .seconds(90), request: .seconds(30))
    }
}
