import AVPSModel
import AVPSProfiles
import ArgumentParser
import GuestImage
import HypervisorCore
import Reports
import Runner

/// The one place where errors of every layer become a message for a person and an exit status.
enum ErrorReporting {
    static func report(_ error: any Error) -> RunOutcome {
        switch error {
        case let error as LoadError:
            Console.error(error.description)
            return .usageError
        case let error as ValidationError:
            Console.error(error.message)
            return .usageError
        case let error as RunnerError:
            Console.error(error.description)
            if case .usage = error { return .usageError }
            return .infrastructure
        case let error as GuestImageError:
            Console.error("reference guest: \(error)")
            return error.kind == .badInput ? .usageError : .infrastructure
        case let error as HypervisorError:
            Console.error(error.description)
            return .infrastructure
        case let error as AgentOutputError:
            Console.error(error.description)
            return .usageError
        case let error as ReportError:
            Console.error("writing reports: \(error)")
            return .infrastructure
        case is CancellationError:
            Console.error("interrupted")
            return .infrastructure
        default:
            Console.error(String(describing: error))
            return .infrastructure
        }
    }
}
