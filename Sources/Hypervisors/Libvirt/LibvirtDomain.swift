import CLibvirt
import Dispatch
import HypervisorCore
import Synchronization

/// A running libvirt domain (`virDomainPtr`). Calls run on the owning connection's queue.
final class LibvirtDomain: @unchecked Sendable {
    let name: String
    private let pointer: OpaquePointer
    private let queue: DispatchQueue
    private let freed = Mutex(false)

    /// What libvirt says about the domain; a transient domain that stopped is `gone`.
    enum State: Sendable, Equatable {
        case running, paused, shuttingDown, shutOff, crashed, gone
        case other(Int32)

        var hasStopped: Bool { self == .gone || self == .shutOff || self == .crashed }
    }

    init(name: String, pointer: OpaquePointer, queue: DispatchQueue) {
        self.name = name
        self.pointer = pointer
        self.queue = queue
    }

    func state() async throws(LibvirtError) -> State {
        let name = name
        return try await BlockingCall.run(on: queue) { () -> Result<State, LibvirtError> in
            var state: Int32 = 0, reason: Int32 = 0
            guard virDomainGetState(self.pointer, &state, &reason, 0) == 0 else {
                let error = LibvirtError.last("read the state of \(name)")
                return error.isNoDomain ? .success(.gone) : .failure(error)
            }
            return .success(State(raw: state))
        }
    }

    func resume() async throws(LibvirtError) {
        try await call("resume \(name)") { virDomainResume($0) }
    }

    /// Asks the guest to power off (ACPI power button).
    func shutdown() async throws(LibvirtError) {
        try await call("shut down \(name)") { virDomainShutdown($0) }
    }

    /// Stops the domain at once; a domain that is already gone is not an error.
    func destroy() async throws(LibvirtError) {
        do {
            try await call("destroy \(name)") { virDomainDestroy($0) }
        } catch where error.isNoDomain || error.code == Int32(VIR_ERR_OPERATION_INVALID.rawValue) {
            return  // already stopped (transient: gone) or not running
        }
    }

    /// Releases the handle (not the guest); the connection can close only after this.
    func free() async {
        guard freed.withLock({ let was = $0; $0 = true; return !was }) else { return }
        _ = try? await BlockingCall.run(on: queue) { () -> Result<Int32, LibvirtError> in .success(virDomainFree(self.pointer)) }
    }

    private func call(_ operation: String, _ body: @escaping @Sendable (OpaquePointer) -> Int32) async throws(LibvirtError) {
        try await BlockingCall.run(on: queue) { () -> Result<Void, LibvirtError> in
            body(self.pointer) == 0 ? .success(()) : .failure(.last(operation))
        }
    }
}

extension LibvirtDomain.State {
    init(raw: Int32) {
        switch UInt32(bitPattern: raw) {
        case VIR_DOMAIN_RUNNING.rawValue: self = .running
        case VIR_DOMAIN_PAUSED.rawValue: self = .paused
        case VIR_DOMAIN_SHUTDOWN.rawValue: self = .shuttingDown
        case VIR_DOMAIN_SHUTOFF.rawValue: self = .shutOff
        case VIR_DOMAIN_CRASHED.rawValue: self = .crashed
        default: self = .other(raw)
        }
    }
}
