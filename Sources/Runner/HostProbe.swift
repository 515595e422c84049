import AVPSModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Facts about the machine the harness runs on, recorded in every result.
enum HostProbe {
    static func current(hypervisorVersion: String?) -> HostInfo {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return HostInfo(hostname: ProcessInfo.processInfo.hostName, kernel: field(name.release),
                        machine: field(name.machine), hypervisorVersion: hypervisorVersion)
    }
}
