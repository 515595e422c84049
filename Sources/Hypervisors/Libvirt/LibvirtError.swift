import CLibvirt
import HypervisorCore

/// The libvirt layer's one error: the call that failed and libvirt's own message. The adapter maps
/// it to `HypervisorError` at its boundary (`hypervisorError`), so callers see one error type per layer.
struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What avps was doing, e.g. "connect to qemu:///system" or "create the domain".
    var operation: String
    var message: String
    /// libvirt's `virErrorNumber`; -1 when libvirt recorded no error.
    var code: Int32

    /// The domain does not exist (any more): a transient domain that stopped is gone.
    var isNoDomain: Bool { code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }

    var description: String { "libvirt: cannot \(operation): \(message)" }

    /// libvirt's last error is thread-local: call this on the thread where the call failed.
    static func last(_ operation: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(operation: operation, message: "unknown error", code: -1)
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "error \(error.pointee.code)"
        return LibvirtError(operation: operation, message: message, code: error.pointee.code)
    }

    /// Every libvirt failure stops a launch before or while the guest runs: infrastructure trouble.
    var hypervisorError: HypervisorError { .launchFailed(description) }
}
