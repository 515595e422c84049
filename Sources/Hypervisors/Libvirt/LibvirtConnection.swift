import CLibvirt
import Dispatch
import HypervisorCore

/// A connection to libvirt (`virConnectPtr`), usable from any task.
///
/// Every libvirt call blocks (a first connect probes QEMU's capabilities for seconds), so each one
/// runs on this connection's serial Dispatch queue, never on Swift's cooperative pool. libvirt
/// documents connections as thread-safe; the queue also keeps each call and its thread-local error
/// together. Closing the connection makes libvirtd destroy every domain started with AUTODESTROY,
/// which is what keeps a killed avps from leaving guests behind.
final class LibvirtConnection: @unchecked Sendable {
    let uri: String
    private let pointer: OpaquePointer
    let queue: DispatchQueue

    private init(uri: String, pointer: OpaquePointer, queue: DispatchQueue) {
        self.uri = uri
        self.pointer = pointer
        self.queue = queue
    }

    static func open(_ uri: String) async throws(LibvirtError) -> LibvirtConnection {
        LibvirtErrorOutput.silence
        let queue = DispatchQueue(label: "avps.libvirt")
        return try await BlockingCall.run(on: queue) { () -> Result<LibvirtConnection, LibvirtError> in
            guard let pointer = virConnectOpen(uri) else { return .failure(.last("connect to \(uri)")) }
            return .success(LibvirtConnection(uri: uri, pointer: pointer, queue: queue))
        }
    }

    /// Starts a transient domain: it disappears once it stops, and with `autodestroy` libvirtd
    /// destroys it when this connection closes (also when avps dies).
    func createTransient(xml: String, name: String, paused: Bool, autodestroy: Bool) async throws(LibvirtError) -> LibvirtDomain {
        let flags = (paused ? VIR_DOMAIN_START_PAUSED.rawValue : 0) | (autodestroy ? VIR_DOMAIN_START_AUTODESTROY.rawValue : 0)
        let queue = queue
        return try await BlockingCall.run(on: queue) { () -> Result<LibvirtDomain, LibvirtError> in
            guard let domain = virDomainCreateXML(self.pointer, xml, flags) else { return .failure(.last("create domain \(name)")) }
            return .success(LibvirtDomain(name: name, pointer: domain, queue: queue))
        }
    }

    /// "libvirt 9.0.0, QEMU 7.2.22": the library and hypervisor versions libvirt reports.
    func versions() async -> String {
        let text: String? = try? await BlockingCall.run(on: queue) { () -> Result<String, LibvirtError> in
            let connection = self.pointer
            var library: UInt = 0, hypervisor: UInt = 0
            _ = virConnectGetLibVersion(connection, &library)
            _ = virConnectGetVersion(connection, &hypervisor)
            let type = virConnectGetType(connection).map { String(cString: $0) } ?? "hypervisor"
            return .success("libvirt \(Self.dotted(library)), \(type) \(Self.dotted(hypervisor))")
        }
        return text ?? "libvirt"
    }

    /// Closes the connection; domains must be freed first or libvirt keeps it open.
    func close() async {
        _ = try? await BlockingCall.run(on: queue) { () -> Result<Int32, LibvirtError> in .success(virConnectClose(self.pointer)) }
    }

    /// libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.
    static func dotted(_ version: UInt) -> String {
        "\(version / 1_000_000).\(version / 1_000 % 1_000).\(version % 1_000)"
    }
}


/// libvirt prints every error to stderr by default; avps reports them itself, with context.
enum LibvirtErrorOutput {
    static let silence: Void = virSetErrorFunc(nil) { _, _ in }
}
