import AVPSModel
import Foundation
import GuestImage
import HypervisorCore
import QEMUHypervisor
import Runner

/// Everything the targets of a run boot: the default reference guest, the reference guest of every
/// other architecture a target asks for (`arch:`), guests with another kernel or extra drivers
/// (`kernel: {from: backports}`, a `sound` device), and QEMU builds other than
/// the system's (`qemu: {from: backports}`). Each distinct need is built once. A need that cannot
/// be met (no network for backports) makes only the targets that have it INFRA, with the reason.
struct RunResources {
    var reference: ReferenceGuest
    var targetBoots: [String: TargetBoot] = [:]
    var installations: [QEMUInstallation] = []
    var missingInstallations: [PackageOrigin: String] = [:]

    func qemuAdapter(cacheDirectory: URL) -> QEMUAdapter {
        QEMUAdapter(cacheDirectory: cacheDirectory, installations: installations, missingInstallations: missingInstallations)
    }

    /// What `--plan` and `avps lava export` prepare launches with: the same adapters and guests a run uses.
    func planner(cacheDirectory: URL) -> Planner {
        Planner(hypervisor: qemuAdapter(cacheDirectory: cacheDirectory), boot: reference.bootArtifacts,
                adapters: RunExecution.adapters, targetBoots: targetBoots)
    }
}

/// The guest a target needs, when it differs from the default one.
private struct GuestVariant: Hashable {
    var kernel: PackageOrigin
    var modules: [String]
}

extension GuestOptions {
    /// Builds the default guest, then whatever the targets need beyond it.
    func resources(for targets: [TargetSpec]) async throws -> RunResources {
        var resources = RunResources(reference: try await build())
        var built: [GuestVariant: TargetBoot] = [:]
        var otherArchitectures: [GuestArchitecture: TargetBoot] = [:]
        let guests = targets.flatMap(\.guests)
        for target in guests {
            if target.arch != arch {
                if otherArchitectures[target.arch] == nil { otherArchitectures[target.arch] = await boot(architecture: target.arch) }
                resources.targetBoots[target.name] = otherArchitectures[target.arch]
                continue
            }
            let variant = GuestVariant(kernel: target.kernelFrom ?? .system,
                                       modules: GuestImageRequest.modules(forDeviceKinds: target.devices.map(\.kind)))
            guard variant != GuestVariant(kernel: .system, modules: GuestImageRequest.referenceModules) else { continue }
            if built[variant] == nil { built[variant] = await boot(variant) }
            resources.targetBoots[target.name] = built[variant]
        }
        if guests.contains(where: { $0.qemuFrom == .backports }) {
            do {
                let qemu = try await QEMUProvider(cacheRoot: cacheRoot, progress: { Console.info($0) }).backports()
                resources.installations.append(qemu.installation)
                Console.info("QEMU from backports: \(qemu.source) in \(qemu.binary.path)")
            } catch {
                resources.missingInstallations[.backports] = "\(error)"
                Console.error("QEMU from backports unavailable: \(error)")
            }
        }
        return resources
    }

    /// Debian's reference guest for another architecture (its kernel package, busybox and a
    /// cross-compiled agent); never the user's `--kernel`, which is built for `arch`.
    private func boot(architecture: GuestArchitecture) async -> TargetBoot {
        var options = self
        (options.kernel, options.modules, options.kernelPackage) = (nil, nil, nil)
        options.arch = architecture
        do {
            return .artifacts(try await options.build().bootArtifacts)
        } catch {
            return .unavailable("cannot build the \(architecture.rawValue) reference guest: \(error)")
        }
    }

    private func boot(_ variant: GuestVariant) async -> TargetBoot {
        var request = request()
        request.wantedModules = variant.modules
        request.kernelOrigin = variant.kernel
        if variant.kernel != .system { (request.kernel, request.modules) = (nil, nil) }
        do {
            let guest = try await GuestImageBuilder(progress: { Console.info($0) }).build(request)
            Console.info("guest for kernel from \(variant.kernel.rawValue): \(guest.kernelSource)")
            return .artifacts(guest.bootArtifacts)
        } catch {
            return .unavailable("cannot build the guest (kernel from \(variant.kernel.rawValue)): \(error)")
        }
    }
}
