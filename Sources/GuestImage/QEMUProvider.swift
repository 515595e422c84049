import Foundation

/// A QEMU build unpacked into the cache, ready to run from there.
public struct UnpackedQEMU: Sendable, Codable, Equatable {
    public var binary: URL
    /// `-L` directories, in order: QEMU's own data, then the matching SeaBIOS.
    public var dataDirectories: [URL]
    /// The build's modules (virtio-gpu, audio backends), for `QEMU_MODULE_DIR`.
    public var moduleDirectory: URL
    /// Unpacked shared libraries the host lacks, for `LD_LIBRARY_PATH`; nil when none are needed.
    public var libraryDirectory: URL?
    /// `qemu-system-x86 1:10.0.2+ds-2+deb13u1~bpo12+1`.
    public var source: String
}

/// Fetches QEMU from Debian bookworm-backports without installing it: `apt-get download` through
/// the private apt configuration, `dpkg-deb -x` into `<cache>/qemu/<version>/`, checked with
/// `ldd` so that a library the host lacks is named at once instead of QEMU failing to start.
///
/// Packages: the emulator, its modules (`qemu-system-common`), its firmware (`qemu-system-data`)
/// and the SeaBIOS it was built against (bookworm's 1.16.2 is older than QEMU 10 asks for).
public struct QEMUProvider: Sendable {
    public static let packages = ["qemu-system-x86", "qemu-system-common", "qemu-system-data"]
    public static let firmwarePackages = ["seabios"]

    let cacheRoot: URL
    let apt: AptSource
    let progress: @Sendable (String) -> Void

    public init(cacheRoot: URL, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.cacheRoot = cacheRoot
        self.apt = .debian(cacheRoot: cacheRoot)
        self.progress = progress
    }

    var qemuDirectory: URL { cacheRoot.appendingPathComponent("qemu", isDirectory: true) }

    /// The cached build for the current backports candidate, downloading it on first use.
    public func backports() async throws(GuestImageError) -> UnpackedQEMU {
        try await apt.ready(progress: progress)
        let versions = try await candidates(Self.packages + Self.firmwarePackages)
        guard let version = versions["qemu-system-x86"] else { throw .aptPackageUnknown(package: "qemu-system-x86") }
        let key = KernelProvider.safeName("qemu-system-x86_\(version)_seabios_\(versions["seabios"] ?? "none")")
        let entry = qemuDirectory.appendingPathComponent(key, isDirectory: true)
        if !CacheFiles.isDirectory(entry) {
            progress("downloading QEMU \(version) from \(apt.name)")
            let pinned = Self.packages.map { "\($0)=\(version)" } + Self.firmwarePackages.compactMap { name in
                versions[name].map { "\(name)=\($0)" }
            }
            try await unpack(pinned, into: entry)
        }
        return layout(entry, source: "qemu-system-x86 \(version)")
    }

    /// Candidate versions in the private lists (one `apt-cache show` for all packages).
    func candidates(_ names: [String]) async throws(GuestImageError) -> [String: String] {
        let out = try await HostTool.aptCache.capture(apt.options + ["show", "--no-all-versions"] + names)
        guard out.succeeded else {
            throw .commandFailed(command: "apt-cache show \(names.joined(separator: " "))", status: "\(out.status)",
                                 output: HostTool.tail(out.stderr + out.stdout))
        }
        var versions: [String: String] = [:]
        var package: String?
        for line in out.stdout.split(separator: "\n") {
            if line.hasPrefix("Package: ") { package = line.dropFirst(9).trimmingWhitespace() }
            if line.hasPrefix("Version: "), let package { versions[package] = line.dropFirst(9).trimmingWhitespace() }
        }
        return versions
    }

    /// Downloads and unpacks into a scratch directory, checks the binary, publishes by one rename.
    private func unpack(_ pinned: [String], into entry: URL) async throws(GuestImageError) {
        CacheFiles.sweepStaleTemporaries(in: qemuDirectory)
        let scratch = try CacheFiles.makeTemporaryDirectory(in: qemuDirectory)
        defer { CacheFiles.remove(scratch) }
        let download = scratch.appendingPathComponent("download", isDirectory: true)
        try CacheFiles.createDirectory(download)
        try await HostTool.aptGet.check(apt.options + ["download"] + pinned, in: download)
        let stage = scratch.appendingPathComponent("entry", isDirectory: true)
        let debs = ((try? FileManager.default.contentsOfDirectory(atPath: download.path)) ?? []).filter { $0.hasSuffix(".deb") }
        guard debs.count == pinned.count else {
            throw .commandFailed(command: "apt-get download \(pinned.joined(separator: " "))", status: "incomplete",
                                 output: "got \(debs.sorted().joined(separator: ", "))")
        }
        for deb in debs.sorted() {
            try await HostTool.dpkgDeb.check(["-x", download.appendingPathComponent(deb).path, stage.path])
        }
        try await checkLibraries(layout(stage, source: ""))
        try CacheFiles.publish(stage, as: entry)
        progress("cached QEMU in \(entry.path)")
    }

    /// `ldd` on the emulator: every library must resolve from the host or the unpacked tree.
    private func checkLibraries(_ qemu: UnpackedQEMU) async throws(GuestImageError) {
        var arguments = [qemu.binary.path]
        if let libraries = qemu.libraryDirectory { arguments = ["LD_LIBRARY_PATH=\(libraries.path)", "ldd"] + arguments }
        let out = try await (qemu.libraryDirectory == nil ? HostTool.ldd : HostTool.env).capture(arguments)
        let missing = out.stdout.split(separator: "\n").filter { $0.contains("not found") }
            .map { $0.split(separator: " ").first.map(String.init) ?? String($0) }
        guard out.succeeded, missing.isEmpty else {
            throw .packageUnusable(
                package: "qemu-system-x86",
                reason: missing.isEmpty ? "ldd failed: \(HostTool.tail(out.stderr))"
                    : "needs libraries this host lacks: \(missing.joined(separator: ", ")) (install them or add their packages to QEMUProvider.packages)")
        }
    }

    private func layout(_ root: URL, source: String) -> UnpackedQEMU {
        let libraries = root.appendingPathComponent("usr/lib/x86_64-linux-gnu", isDirectory: true)
        let hasLibraries = ((try? FileManager.default.contentsOfDirectory(atPath: libraries.path)) ?? [])
            .contains { $0.contains(".so") }
        return UnpackedQEMU(
            binary: root.appendingPathComponent("usr/bin/qemu-system-x86_64"),
            dataDirectories: [root.appendingPathComponent("usr/share/qemu", isDirectory: true),
                              root.appendingPathComponent("usr/share/seabios", isDirectory: true)],
            moduleDirectory: libraries.appendingPathComponent("qemu", isDirectory: true),
            libraryDirectory: hasLibraries ? libraries : nil, source: source)
    }
}
