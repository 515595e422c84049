import AVPSModel
import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Which device kinds a QEMU build can offer, asked of the build itself (`-device MODEL,help`
/// lists `MODEL options:` only for a model it has; 7.2 exits 0 either way), so a target asking
/// QEMU 7.2 for virtio-sound is told so at plan time instead of QEMU refusing to start.
enum QEMUDeviceModels {
    /// The QEMU device model that provides a kind; nil for kinds every supported build has.
    static func model(for device: DeviceSpec) -> String? {
        switch device {
        case .sound: "virtio-sound-pci"
        default: nil
        }
    }

    private static let known = Mutex<[String: Bool]>([:])

    /// Virtio ids of `devices` this build cannot offer, each with the reason (one answer per
    /// build and model, remembered for the life of the process).
    static func unavailable(_ devices: [DeviceSpec], in installation: QEMUInstallation,
                            version: String?) async -> [Int: String] {
        var missing: [Int: String] = [:]
        for device in devices {
            guard let model = model(for: device), missing[device.virtioDeviceID] == nil else { continue }
            if await !has(model, installation) {
                missing[device.virtioDeviceID] = "\(version ?? installation.binary) has no \(model) device"
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
