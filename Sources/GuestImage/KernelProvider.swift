import Foundation

/// A kernel image plus its module tree, wherever it came from.
struct KernelFiles: Sendable, Codable, Equatable {
    var vmlinuz: URL
    /// `.../lib/modules/<release>`, containing modules.dep.
    var modulesDirectory: URL
    var release: String
    /// Human-readable origin, recorded in the ReferenceGuest.
    var source: String
    var vmlinuzSHA256: String
}

/// Provides the guest kernel from Debian's package (never from the host's /boot: the host may run
/// any kernel, and a certification must name exactly which kernel the reference guest ran).
///
/// Cache layout: `<cache>/kernels/<package>_<version>/` holding `vmlinuz`, `lib/modules/<release>/`
/// and `kernel.json`. The directory is assembled under `.tmp-*` and renamed into place only after
/// download, unpack and depmod all succeeded, so its existence is the completion marker.
struct KernelProvider: Sendable {
    let cacheRoot: URL
    let progress: @Sendable (String) -> Void
    /// Where apt finds the package: the host's sources, or avps's private bookworm-backports ones.
    var apt: AptSource = .system

    var kernelsDirectory: URL { cacheRoot.appendingPathComponent("kernels", isDirectory: true) }

    /// A user-supplied kernel and modules directory (non-Debian hosts).
    func explicit(kernel: URL, modules: URL) throws(GuestImageError) -> KernelFiles {
        guard CacheFiles.fileExists(kernel), !CacheFiles.isDirectory(kernel) else {
            throw .kernelInputInvalid(path: kernel.path, reason: "kernel image not found")
        }
        guard CacheFiles.fileExists(modules.appendingPathComponent("modules.dep")) else {
            throw .kernelInputInvalid(path: modules.path,
                                      reason: "not a modules directory: no modules.dep (pass lib/modules/<release>, run depmod if needed)")
        }
        let release = modules.standardizedFileURL.lastPathComponent
        return KernelFiles(vmlinuz: kernel, modulesDirectory: modules, release: release,
                           source: kernel.path, vmlinuzSHA256: try CacheFiles.sha256(of: kernel))
    }

    /// Resolves `package` with apt and returns the cached kernel, downloading it if needed.
    func debian(package: String) async throws(GuestImageError) -> KernelFiles {
        try await apt.ready(progress: progress)
        let aptCache = AptResolutionCache(directory: kernelsDirectory)
        let fingerprint = AptResolutionCache.fingerprint(roots: apt.fingerprintInputs)
        let requested = apt == .system ? package : "\(apt.name)/\(package)"
        let concrete: String, version: String
        if let remembered = aptCache.lookup(requested, fingerprint: fingerprint) {
            (concrete, version) = remembered
        } else {
            (concrete, version) = try await resolve(package)
            aptCache.store(requested, package: concrete, version: version, fingerprint: fingerprint)
        }
        let entry = kernelsDirectory.appendingPathComponent(Self.safeName("\(concrete)_\(version)"), isDirectory: true)
        let record = entry.appendingPathComponent("kernel.json")
        if CacheFiles.fileExists(record) {
            // A killed download leaves ~400 MB under .tmp-*; with the kernel cached no install
            // would ever run again to sweep it, so a cache hit sweeps too (one directory listing).
            CacheFiles.sweepStaleTemporaries(in: kernelsDirectory)
            return try load(record, in: entry)
        }
        progress("downloading \(concrete) \(version) with apt-get")
        try await install(package: concrete, version: version, into: entry, record: record)
        return try load(record, in: entry)
    }

    /// Follows metapackages (`linux-image-amd64` depends on `linux-image-6.1.0-56-amd64`) to
    /// the package that actually contains `boot/vmlinuz-*`, and returns it with its version.
    func resolve(_ package: String) async throws(GuestImageError) -> (String, String) {
        var current = package
        for _ in 0..<4 {
            let fields = try await show(current)
            let dependsField = fields["Depends"] ?? ""
            let next = dependsField.split(separator: ",")
                .map { $0.split(separator: "|")[0].split(separator: " ")[0].trimmingWhitespace() }
                .first { $0.hasPrefix("linux-image-") && $0 != current }
            guard let next else {
                guard let version = fields["Version"] else {
                    throw .kernelPackageUnusable(package: current, reason: "apt-cache shows no Version")
                }
                return (current, version)
            }
            current = next
        }
        throw .kernelPackageUnusable(package: package, reason: "metapackage chain longer than 4 packages")
    }

    /// `apt-cache show --no-all-versions` as a field dictionary (candidate version only).
    func show(_ package: String) async throws(GuestImageError) -> [String: String] {
        let out = try await HostTool.aptCache.capture(apt.options + ["show", "--no-all-versions", package])
        if !out.succeeded || out.stdout.isEmpty {
            if (out.stderr + out.stdout).contains("Unable to locate package") || out.stderr.contains("No packages found") {
                throw .aptPackageUnknown(package: package)
            }
            throw .commandFailed(command: "apt-cache show --no-all-versions \(package)",
                                 status: "\(out.status)", output: HostTool.tail(out.stderr))
        }
        var fields: [String: String] = [:]
        for line in out.stdout.split(separator: "\n") where !line.hasPrefix(" ") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if fields[key] == nil {
                fields[key] = line[line.index(after: colon)...].trimmingWhitespace()
            }
        }
        return fields
    }

    func load(_ record: URL, in entry: URL) throws(GuestImageError) -> KernelFiles {
        let data = try CacheFiles.read(record)
        guard let stored = try? JSONDecoder().decode(StoredKernel.self, from: data) else {
            throw .io(operation: "decode", path: record.path, reason: "corrupt kernel record; delete \(entry.path)")
        }
        return KernelFiles(vmlinuz: entry.appendingPathComponent("vmlinuz"),
                           modulesDirectory: entry.appendingPathComponent("lib/modules/\(stored.release)", isDirectory: true),
                           release: stored.release, source: "\(stored.package) \(stored.version)",
                           vmlinuzSHA256: stored.vmlinuzSHA256)
    }

    /// Cache directory names come from apt metadata; keep them to a harmless alphabet.
    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "._+-".contains($0) ? $0 : "_" })
    }
}

/// `kernel.json`: what the cache entry holds, so a warm build needs no unpacking or hashing.
struct StoredKernel: Codable {
    var package: String
    var version: String
    var release: String
    var vmlinuzSHA256: String
}
