import AVPSModel
import Foundation

/// The static busybox embedded in the initramfs: the host's `/bin/busybox` (busybox-static)
/// for the host's architecture, Debian's `busybox-static` of the guest's architecture otherwise,
/// downloaded with a private apt setup and unpacked, never installed.
///
/// Cache layout: `<cache>/busybox/<version>_<arch>/busybox`, published by one rename.
struct BusyboxProvider: Sendable {
    static let package = "busybox-static"

    let cacheRoot: URL
    let progress: @Sendable (String) -> Void

    func busybox(for arch: GuestArchitecture, apt: AptSetup) async throws(GuestImageError) -> URL {
        if arch == AptSetup.hostArchitecture { return URL(fileURLWithPath: "/bin/busybox") }
        let kernels = KernelProvider(cacheRoot: cacheRoot, progress: progress,
                                     apt: AptSource(foreign: apt, architecture: arch))
        guard let version = try await kernels.show(Self.package)["Version"] else {
            throw .kernelPackageUnusable(package: Self.package, reason: "apt-cache shows no Version")
        }
        let directory = cacheRoot.appendingPathComponent("busybox", isDirectory: true)
        let entry = directory.appendingPathComponent(KernelProvider.safeName("\(version)_\(arch.debianName)"), isDirectory: true)
        let binary = entry.appendingPathComponent("busybox")
        if CacheFiles.fileExists(binary) { return binary }

        progress("downloading \(Self.package) \(version) for \(arch.debianName) with apt-get")
        try CacheFiles.createDirectory(directory)
        CacheFiles.sweepStaleTemporaries(in: directory)
        let scratch = try CacheFiles.makeTemporaryDirectory(in: directory)
        defer { CacheFiles.remove(scratch) }
        try await HostTool.aptGet.check(apt.arguments + ["download", "\(Self.package)=\(version)"], in: scratch)
        guard let deb = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [])
            .first(where: { $0.hasSuffix(".deb") }) else {
            throw .busyboxUnusable(path: scratch.path, reason: "apt-get download produced no .deb")
        }
        let root = scratch.appendingPathComponent("root", isDirectory: true)
        try await HostTool.dpkgDeb.check(["-x", scratch.appendingPathComponent(deb).path, root.path])
        let stage = scratch.appendingPathComponent("entry", isDirectory: true)
        try CacheFiles.createDirectory(stage)
        do {
            try FileManager.default.moveItem(at: root.appendingPathComponent("bin/busybox"),
                                             to: stage.appendingPathComponent("busybox"))
        } catch {
            throw .busyboxUnusable(path: deb, reason: "no bin/busybox in the package: \(CacheFiles.reason(error))")
        }
        try CacheFiles.publish(stage, as: entry)
        return binary
    }
}
