import AVPSModel
import Foundation
import HypervisorCore

/// One QEMU build the adapter can run: the system's, or one unpacked into the cache (Debian
/// backports) that must find its own firmware and modules rather than the system's.
public struct QEMUInstallation: Sendable, Equatable {
    public var origin: PackageOrigin
    public var binary: String
    /// Firmware directories passed with `-L`, searched before the build's compiled-in ones.
    public var dataDirectories: [String]
    /// Environment the build needs: an unpacked QEMU must load its own modules
    /// (`QEMU_MODULE_DIR`), since the system's modules crash it ("only modules from the same
    /// build can be loaded"), and libraries the host lacks (`LD_LIBRARY_PATH`).
    public var environment: [String: String]

    public init(origin: PackageOrigin, binary: String, dataDirectories: [String] = [], environment: [String: String] = [:]) {
        self.origin = origin
        self.binary = binary
        self.dataDirectories = dataDirectories
        self.environment = environment
    }

    /// The argv prefix that starts this build: `env K=V … binary` when it needs an environment,
    /// so the recorded command line reproduces the run exactly.
    public var launcher: [String] {
        guard !environment.isEmpty else { return [binary] }
        return ["/usr/bin/env"] + environment.keys.sorted().map { "\($0)=\(environment[$0] ?? "")" } + [binary]
    }

    /// `-L DIR` for every firmware directory, in order.
    public var dataArguments: [String] {
        dataDirectories.flatMap { ["-L", $0] }
    }
}
