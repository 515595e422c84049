import Foundation

extension KernelProvider {
    /// Downloads `package` (exact `version`) with `apt-get download`, unpacks it with
    /// `dpkg-deb -x`, generates modules.dep with `depmod` (Debian's package ships none; its
    /// postinst runs depmod on the installed system), and publishes `vmlinuz`,
    /// `lib/modules/<release>/` and `kernel.json` as `entry` by one rename.
    ///
    /// Everything happens inside `<cache>/kernels/.tmp-*`, removed on every exit path, so an
    /// interrupted download never leaves a half cache entry behind.
    func install(package: String, version: String, into entry: URL, record: URL) async throws(GuestImageError) {
        CacheFiles.sweepStaleTemporaries(in: kernelsDirectory)
        let scratch = try CacheFiles.makeTemporaryDirectory(in: kernelsDirectory)
        defer { CacheFiles.remove(scratch) }

        let download = scratch.appendingPathComponent("download", isDirectory: true)
        try CacheFiles.createDirectory(download)
        let fetched = try await HostTool.aptGet.capture(apt.options + ["download", "\(package)=\(version)"], in: download)
        if !fetched.succeeded {
            if (fetched.stderr + fetched.stdout).contains("Unable to locate package") {
                throw .aptPackageUnknown(package: package)
            }
            throw .commandFailed(command: "apt-get download \(package)=\(version)", status: "\(fetched.status)",
                                 output: HostTool.tail(fetched.stderr + fetched.stdout))
        }
        let debs = (try? FileManager.default.contentsOfDirectory(atPath: download.path))?
            .filter { $0.hasSuffix(".deb") } ?? []
        guard let deb = debs.first else {
            throw .kernelPackageUnusable(package: package, reason: "apt-get download produced no .deb in \(download.path)")
        }

        progress("unpacking \(deb)")
        let root = scratch.appendingPathComponent("root", isDirectory: true)
        try await HostTool.dpkgDeb.check(["-x", download.appendingPathComponent(deb).path, root.path])

        let boot = root.appendingPathComponent("boot", isDirectory: true)
        let vmlinuzName = ((try? FileManager.default.contentsOfDirectory(atPath: boot.path)) ?? [])
            .filter { $0.hasPrefix("vmlinuz-") }.sorted().first
        guard let vmlinuzName else {
            throw .kernelPackageUnusable(package: package, reason: "the package contains no boot/vmlinuz-* (is it a kernel image package?)")
        }
        let release = String(vmlinuzName.dropFirst("vmlinuz-".count))
        let modulesSource = root.appendingPathComponent("lib/modules/\(release)", isDirectory: true)
        guard CacheFiles.isDirectory(modulesSource) else {
            throw .kernelPackageUnusable(package: package, reason: "the package contains no lib/modules/\(release)/")
        }

        progress("running depmod for \(release)")
        var depmodArguments = ["-b", root.path]
        let systemMap = boot.appendingPathComponent("System.map-\(release)")
        if CacheFiles.fileExists(systemMap) { depmodArguments += ["-F", systemMap.path] }
        try await HostTool.depmod.check(depmodArguments + [release])
        guard CacheFiles.fileExists(modulesSource.appendingPathComponent("modules.dep")) else {
            throw .kernelPackageUnusable(package: package, reason: "depmod wrote no modules.dep")
        }

        // Assemble the final layout next to the scratch data, then publish with one rename.
        let stage = scratch.appendingPathComponent("entry", isDirectory: true)
        let stagedModules = stage.appendingPathComponent("lib/modules/\(release)", isDirectory: true)
        try CacheFiles.createDirectory(stagedModules.deletingLastPathComponent())
        let vmlinuz = stage.appendingPathComponent("vmlinuz")
        do {
            try FileManager.default.moveItem(at: boot.appendingPathComponent(vmlinuzName), to: vmlinuz)
            try FileManager.default.moveItem(at: modulesSource, to: stagedModules)
        } catch {
            throw .io(operation: "move unpacked kernel into", path: stage.path, reason: CacheFiles.reason(error))
        }
        let stored = StoredKernel(package: package, version: version, release: release,
                                  vmlinuzSHA256: try CacheFiles.sha256(of: vmlinuz))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let json = try? encoder.encode(stored) else {
            throw .io(operation: "encode", path: record.path, reason: "JSON encoding failed")
        }
        try CacheFiles.writeAtomically(json, to: stage.appendingPathComponent("kernel.json"))
        try CacheFiles.publish(stage, as: entry)
        progress("cached \(package) \(version) in \(entry.path)")
    }
}
