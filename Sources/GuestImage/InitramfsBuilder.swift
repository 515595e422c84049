import Foundation

/// Assembles the reference initramfs (uncompressed newc cpio) and caches it by content hash.
///
/// Uncompressed on purpose: under TCG emulation the kernel's gzip/xz decompression of a few MB
/// costs seconds, while copying an uncompressed archive into guest RAM is nearly free.
///
/// The cache key is the SHA-256 of a manifest naming every input: kernel release and image hash,
/// each module's path and file hash, busybox's path and hash, the agent binary's hash, the /init
/// text and the applet list. Equal manifest, equal file name: a warm build only hashes inputs.
struct InitramfsBuilder: Sendable {
    let cacheRoot: URL
    let progress: @Sendable (String) -> Void

    struct Inputs: Sendable {
        var kernel: KernelFiles
        var modules: [ModuleDependencies.Module]
        var busybox: URL
        var agent: AgentBuilder.Built
        var script: InitScript
    }

    struct Output: Sendable {
        var initrd: URL
        var sha256: String
        var rebuilt: Bool
    }

    /// The kernel's own module lists, copied as they are so the agent can tell a driver the kernel
    /// lacks from one it has but this guest did not load (`platform.buses`). They list every module
    /// of the kernel package, not only the few in this initramfs.
    static let moduleIndexes = ["modules.builtin", "modules.dep"]

    /// Path of a module inside the guest: the modules.dep path minus any compression suffix,
    /// because modules are decompressed on the host (busybox insmod cannot read .xz/.zst).
    static func guestPath(of module: ModuleDependencies.Module) -> String {
        for suffix in [".xz", ".zst", ".gz"] where module.path.hasSuffix(suffix) {
            return String(module.path.dropLast(suffix.count))
        }
        return module.path
    }

    func build(_ inputs: Inputs) async throws(GuestImageError) -> Output {
        var manifest = "avps-initramfs v1\n"
        manifest += "kernel \(inputs.kernel.release) \(inputs.kernel.vmlinuzSHA256)\n"
        for module in inputs.modules {
            let file = inputs.kernel.modulesDirectory.appendingPathComponent(module.path)
            manifest += "module \(module.path) \(try CacheFiles.sha256(of: file))\n"
        }
        manifest += "busybox \(inputs.busybox.path) \(try CacheFiles.sha256(of: inputs.busybox))\n"
        manifest += "applets \(InitScript.applets.joined(separator: " "))\n"
        manifest += "agent \(inputs.agent.sha256)\n"
        manifest += "init \(CacheFiles.sha256(inputs.script.text))\n"
        let indexes = Self.moduleIndexes.filter { CacheFiles.fileExists(inputs.kernel.modulesDirectory.appendingPathComponent($0)) }
        for name in indexes {
            manifest += "index \(name) \(try CacheFiles.sha256(of: inputs.kernel.modulesDirectory.appendingPathComponent(name)))\n"
        }
        let key = CacheFiles.sha256(manifest)

        let directory = cacheRoot.appendingPathComponent("initramfs", isDirectory: true)
        let initrd = directory.appendingPathComponent("avps-initrd-\(key).cpio")
        if CacheFiles.fileExists(initrd) {
            return Output(initrd: initrd, sha256: try CacheFiles.sha256(of: initrd), rebuilt: false)
        }

        progress("assembling initramfs (\(inputs.modules.count) modules)")
        var archive = CPIOArchive()
        for dir in ["bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "lib/modules/\(inputs.kernel.release)"] {
            archive.addDirectory(dir)
        }
        // The kernel opens /dev/console for init before /init can mount devtmpfs.
        archive.addCharacterDevice("dev/console", major: 5, minor: 1)
        archive.addFile("bin/busybox", contents: try CacheFiles.read(inputs.busybox), permissions: 0o755)
        for applet in InitScript.applets {
            archive.addSymlink("bin/\(applet)", target: "busybox")
        }
        archive.addFile("init", contents: Data(inputs.script.text.utf8), permissions: 0o755)
        archive.addFile("sbin/avps-agent", contents: try CacheFiles.read(inputs.agent.binary), permissions: 0o755)
        archive.addFile("etc/avps-initramfs.manifest", contents: Data(manifest.utf8))
        for name in indexes {
            archive.addFile("lib/modules/\(inputs.kernel.release)/\(name)",
                            contents: try CacheFiles.read(inputs.kernel.modulesDirectory.appendingPathComponent(name)))
        }
        for module in inputs.modules {
            let source = inputs.kernel.modulesDirectory.appendingPathComponent(module.path)
            archive.addFile("lib/modules/\(inputs.kernel.release)/\(Self.guestPath(of: module))",
                            contents: try await Self.decompressedModule(source))
        }
        try CacheFiles.createDirectory(directory)
        CacheFiles.sweepStaleTemporaries(in: directory)
        try archive.write(to: initrd)
        return Output(initrd: initrd, sha256: try CacheFiles.sha256(of: initrd), rebuilt: true)
    }

    /// Module bytes ready for `insmod`: decompressed with the xz / zstd / gzip CLI if needed.
    static func decompressedModule(_ url: URL) async throws(GuestImageError) -> Data {
        let path = url.path
        if path.hasSuffix(".xz") {
            return Data(try await HostTool.xz.bytes(["-d", "-c", "--", path]))
        } else if path.hasSuffix(".zst") {
            return Data(try await HostTool.zstd.bytes(["-d", "-c", "-q", "--", path]))
        } else if path.hasSuffix(".gz") {
            return Data(try await HostTool(name: "gzip", installHint: "install gzip").bytes(["-d", "-c", "--", path]))
        }
        return try CacheFiles.read(url)
    }
}
