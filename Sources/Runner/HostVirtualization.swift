import AVPSModel
import Foundation

/// What AVPS2-HWV-01 rests on: the accelerator the hypervisor actually used, and whether the
/// CPU of the machine it ran on offers virtualization extensions at all. Recorded as host
/// observations, because the guest cannot tell an emulated CPU from a virtualized one reliably.
enum HostVirtualization {
    static let acceleratorKey = HardwareVirtualization.acceleratorKey
    static let extensionsKey = HardwareVirtualization.extensionsKey

    /// The observations for one target; the extensions are read from this machine's
    /// /proc/cpuinfo, so a target on another host (ssh) records why they are unknown instead.
    static func observations(accelerator: String, adapter: String) -> [String: FactValue] {
        var facts: [String: FactValue] = [acceleratorKey: .string(accelerator)]
        if adapter == "ssh" {
            facts[Evidence.notRecordedKey(extensionsKey)] = .string("the hypervisor runs on another host, whose CPU flags avps does not read")
            return facts
        }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        switch extensions(cpuinfo: cpuinfo) {
        case .some(let found): facts[extensionsKey] = .string(found)
        case .none: facts[Evidence.notRecordedKey(extensionsKey)] = .string("/proc/cpuinfo names no x86 flags (vmx, svm) to judge by on this host")
        }
        return facts
    }

    /// `vmx` (Intel VT-x), `svm` (AMD-V), `none` (an x86 CPU without either, e.g. a VM without
    /// nested virtualization); nil when the text has no x86 `flags` line (another architecture).
    static func extensions(cpuinfo: String) -> String? {
        guard let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let words = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        if words.contains("vmx") { return "vmx" }
        if words.contains("svm") { return "svm" }
        return "none"
    }
}
