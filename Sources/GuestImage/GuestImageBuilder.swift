import AVPSModel
import Foundation

/// Builds (or finds in the cache) the reference guest: Debian kernel + initramfs with busybox,
/// virtio modules and the static avps agent.
///
/// Each stage is cached by content, so a second build with unchanged inputs only resolves the
/// kernel package with apt-cache, hashes the inputs and returns the existing files.
public struct GuestImageBuilder: Sendable {
    /// Kernel command line the runner starts from; it appends `avps.*` options as needed.
    /// `panic=-1` reboots immediately on panic so, with QEMU's `-no-reboot`, a broken guest
    /// exits instead of hanging until a timeout. `no_timer_check`: on a loaded host a TCG guest
    /// can miss the kernel's IO-APIC timer test and panic at boot (seen in CI).
    ///
    /// Not `cryptomgr.notests`, although the crypto self-tests are 29% of the instructions before
    /// /init under TCG (measured with `-icount`): they keep a broken crypto device out of the
    /// guest's own use. QEMU 7.2's virtio-crypto RSA fails its self-test (err -22); untested, the
    /// kernel picked it to check module signatures and every later module was rejected. The runner
    /// adds it per target, only where no crypto device is asked for (Runner's `FastBoot`).
    public static let baseCommandLine = "console=ttyS0 panic=-1 quiet no_timer_check"

    /// The command line for `arch`: aarch64 `virt` has a PL011 UART (`ttyAMA0`); `iomem=relaxed`
    /// lets the agent read a driver-claimed virtio-mmio register block through /dev/mem, which
    /// Debian's arm64 kernel (CONFIG_IO_STRICT_DEVMEM=y) refuses otherwise.
    public static func baseCommandLine(for arch: GuestArchitecture) -> String {
        switch arch {
        case .x86_64: baseCommandLine
        case .aarch64: "console=ttyAMA0 panic=-1 quiet iomem=relaxed"
        }
    }

    let progress: @Sendable (String) -> Void

    /// `progress` receives one-line status messages (downloads, compiles); default is silent.
    public init(progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.progress = progress
    }

    public func build(_ request: GuestImageRequest) async throws(GuestImageError) -> ReferenceGuest {
        try await buildReportingCache(request).guest
    }

    /// Like `build`, and also says whether the initramfs came from the cache unchanged
    /// (`cacheHit`); tests use it to prove that a warm build rebuilds nothing.
    public func buildReportingCache(_ request: GuestImageRequest) async throws(GuestImageError) -> (guest: ReferenceGuest, cacheHit: Bool) {
        let arch = request.architecture
        let apt = request.kernel == nil || request.busybox == nil
            ? try await AptSetup.forArchitecture(arch, cacheRoot: request.cacheRoot, progress: progress) : .host
        let kernel = try await kernelFiles(for: request, apt: apt)

        let depFile = kernel.modulesDirectory.appendingPathComponent("modules.dep")
        let depText = String(decoding: try CacheFiles.read(depFile), as: UTF8.self)
        let dependencies = try ModuleDependencies(parsing: depText, source: depFile.path)
        let resolution = dependencies.resolve(request.wantedModules)
        for name in resolution.missing {
            progress("note: kernel \(kernel.release) has no module \(name) (built in or not available); skipped")
        }

        let busybox: URL
        if let given = request.busybox {
            busybox = given
        } else {
            busybox = try await BusyboxProvider(cacheRoot: request.cacheRoot, progress: progress).busybox(for: arch, apt: apt)
        }
        if let problem = ELFCheck.staticExecutableProblem(busybox, machine: arch.elfMachine) {
            throw .busyboxUnusable(path: busybox.path, reason: problem)
        }

        let agent = try await AgentBuilder(cacheRoot: request.cacheRoot, progress: progress, architecture: arch)
            .agent(from: AgentBuilder.locate(explicit: request.agentSource, architecture: arch))

        let groupsByName = ModuleGroups.groups(for: request.wantedModules, in: dependencies)
        var groupsByPath: [String: [String]] = [:]
        for module in resolution.loadOrder {
            groupsByPath[InitramfsBuilder.guestPath(of: module)] = groupsByName[module.name]
        }
        let script = InitScript(kernelRelease: kernel.release,
                                modulePaths: resolution.loadOrder.map(InitramfsBuilder.guestPath(of:)),
                                moduleGroups: groupsByPath)
        let initramfs = try await InitramfsBuilder(cacheRoot: request.cacheRoot, progress: progress)
            .build(.init(kernel: kernel, modules: resolution.loadOrder, busybox: busybox,
                         agent: agent, script: script))
        if !initramfs.rebuilt { progress("initramfs cache hit: \(initramfs.initrd.path)") }

        let vmlinux = arch == .x86_64
            ? await PVHKernel(cacheRoot: request.cacheRoot, progress: progress).vmlinux(for: kernel.vmlinuz, sha256: kernel.vmlinuzSHA256)
            : nil
        var format = vmlinux == nil ? "bzImage" : "pvh-elf"
        if arch == .aarch64 {
            guard let arm = ArmKernelImage.format(of: kernel.vmlinuz) else {
                throw .kernelInputInvalid(path: kernel.vmlinuz.path, reason: "not an arm64 kernel Image (no ARM\\x64 magic, not gzip)")
            }
            format = arm
        }
        let guest = ReferenceGuest(architecture: arch, kernel: vmlinux ?? kernel.vmlinuz, kernelFormat: format,
                                   initrd: initramfs.initrd, kernelRelease: kernel.release,
                                   kernelSource: kernel.source, kernelSHA256: kernel.vmlinuzSHA256,
                                   initrdSHA256: initramfs.sha256, agentSHA256: agent.sha256,
                                   modules: resolution.loadOrder.map(\.name), skippedModules: resolution.missing,
                                   baseCommandLine: Self.baseCommandLine(for: arch))
        return (guest, !initramfs.rebuilt)
    }

    /// The host's architecture takes its kernel from the host's apt or from bookworm-backports
    /// (`kernelOrigin`); a foreign architecture from its private apt (backports is x86_64-only here).
    private func kernelFiles(for request: GuestImageRequest, apt: AptSetup) async throws(GuestImageError) -> KernelFiles {
        let source = apt.arguments.isEmpty
            ? AptSource.of(request.kernelOrigin, cacheRoot: request.cacheRoot)
            : AptSource(foreign: apt, architecture: request.architecture)
        let provider = KernelProvider(cacheRoot: request.cacheRoot, progress: progress, apt: source)
        switch (request.kernel, request.modules) {
        case let (kernel?, modules?):
            return try provider.explicit(kernel: kernel, modules: modules)
        case let (kernel?, nil):
            throw .kernelInputInvalid(path: kernel.path, reason: "--kernel needs --modules DIR (the lib/modules/<release> directory)")
        case let (nil, modules?):
            throw .kernelInputInvalid(path: modules.path, reason: "--modules needs --kernel PATH")
        case (nil, nil):
            return try await provider.debian(package: request.kernelPackage)
        }
    }
}
