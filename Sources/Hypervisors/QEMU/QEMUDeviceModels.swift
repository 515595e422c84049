import AVPSModel
import Foundation
import HypervisorCore
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Which device kinds a QEMU build can offer, asked of the build itself (`-device MODEL,help`
/// lists `MODEL options:` only for a model it has; 7.2 exits 0 either way), so a target asking
/// QEMU 7.2 for virtio-sound is told so at plan time instead of QEMU refusing to start. Some kinds
/// are also tied to a platform avps has validated them on (`platformLimit`).
enum QEMUDeviceModels {
    /// The QEMU device model that provides a kind; nil for kinds every supported build has.
    static func model(for device: DeviceSpec) -> String? {
        switch device {
        case .sound: "virtio-sound-pci"
        case .pmem: "virtio-pmem-pci"
        case .watchdog: "i6300esb"
        case .emulatedCAN: "kvaser_pci"
        default: nil
        }
    }

    /// Why avps gives this target no such device, whatever the build has: pmem and the CAN
    /// controller are PCI devices validated on x86_64 q35 only, the watchdog on q35 and aarch64
    /// virt; microvm has no PCI bus.
    static func platformLimit(_ device: DeviceSpec, target: TargetSpec) -> String? {
        switch (device, target.arch) {
        case (.pmem, .aarch64):
            return "avps plugs virtio-pmem only into x86_64 q35 guests (a PCI memory device in hot-plug memory)"
        case (.emulatedCAN, .aarch64):
            return "avps offers the emulated Kvaser CAN controller only to x86_64 guests (not validated on virt)"
        case (.watchdog, .aarch64):
            // virt always has a PCIe host bridge, whatever transport the virtio devices use: the
            // PCI i6300esb plugs in there and Debian's arm64 kernel drives it (validated on virtio-pci
            // and virtio-mmio targets: identity, timeout, feeding, and an expiry QEMU resets).
            return nil
        case (.watchdog, _), (.pmem, _), (.emulatedCAN, _):
            guard target.transport.isMMIO || target.machine == "microvm" else { return nil }
            return "machine \(target.machine) has no PCI bus here, and avps's \(device.kind) is a PCI device"
        default:
            return nil
        }
    }

    private static let known = Mutex<[String: Bool]>([:])

    /// Requested device kinds (`DeviceSpec.kind`) this target cannot have, each with the reason
    /// (one answer per build and model, remembered for the life of the process).
    static func unavailable(for target: TargetSpec, in installation: QEMUInstallation,
                            version: String?) async -> [String: String] {
        var missing: [String: String] = [:]
        for device in target.devices where missing[device.kind] == nil {
            if let limit = platformLimit(device, target: target) {
                missing[device.kind] = limit
            } else if let model = model(for: device), await !has(model, installation) {
                missing[device.kind] = "\(version ?? installation.binary) has no \(model) device"
            }
        }
        return missing
    }

    private static func has(_ model: String, _ installation: QEMUInstallation) async -> Bool {
        let key = installation.launcher.joined(separator: " ") + " " + model
        if let answer = known.withLock({ $0[key] }) { return answer }
        let launcher = installation.launcher
        let result = try? await Subprocess.run(
            .path(FilePath(launcher[0])), arguments: Arguments(Array(launcher.dropFirst()) + ["-device", "\(model),help"]),
            output: .string(limit: 64 << 10), error: .discarded)
        let answer = result.map { $0.terminationStatus.isSuccess && $0.standardOutput.hasPrefix("\(model) options:") } ?? false
        known.withLock { $0[key] = answer }
        return answer
    }
}
