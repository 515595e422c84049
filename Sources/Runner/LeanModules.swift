import AVPSModel
import GuestImage
import HypervisorCore

extension BootArtifacts {
    /// The boot of one target: the reference guest loads only the driver modules its devices need
    /// (`avps.modules=`, see `ModuleGroups`) and skips boot work that tells nothing about the
    /// platform (`FastBoot`). External targets keep every module: avps does not control their
    /// device set, and a device must never go unseen for want of a driver.
    func lean(for target: TargetSpec) -> BootArtifacts {
        var words: [String] = []
        if target.adapter != "external",
           let word = ModuleGroups.commandLineWord(forDeviceKinds: target.devices.map(\.kind) + Self.linkDeviceKinds(target)) {
            words.append(word)
        }
        words += FastBoot.kernelParameters(for: target)
        // The agent reads a driver-claimed virtio-mmio register block through /dev/mem (offered
        // features), which Debian's kernels allow only with relaxed iomem; aarch64 has it in its
        // base command line, x86_64 needs it for microvm.
        if target.arch == .x86_64 && target.transport.isMMIO { words.append("iomem=relaxed") }
        guard !words.isEmpty else { return self }
        var boot = self
        boot.kernelCommandLine += " " + words.joined(separator: " ")
        return boot
    }

    /// A system's network links are NICs avps adds to each VM: their driver must load too.
    static func linkDeviceKinds(_ target: TargetSpec) -> [String] {
        let networked = target.membership?.ownLinks.contains { $0.link.kind == .network } ?? false
        return networked ? ["net"] : []
    }
}

/// Kernel parameters that cut the reference guest's boot without hiding anything avps measures.
/// Each was measured with QEMU's instruction counter (`-icount`, BENCHMARKS.md): together they take
/// the default target's boot-to-poweroff from 1.90 to 0.87 guest-seconds.
enum FastBoot {
    static func kernelParameters(for target: TargetSpec) -> [String] {
        // The check that no kernel page is writable and executable walks every page table after
        // marking rodata read-only (0.13 guest-s); it guards the kernel, not the platform.
        var words = ["rodata=off"]
        // The crypto manager tests every built-in software algorithm at boot (0.74 guest-s, the
        // largest single cost). They stay on when a target has a virtio-crypto device, because the
        // same tests are how the kernel vets the device's algorithms as they register: QEMU 7.2's
        // RSA fails them, and an untested broken RSA would then reject every module signature.
        // External targets may carry devices avps was not told about, so they keep the tests too.
        if target.adapter != "external", !target.devices.contains(where: { $0.kind == "crypto" }) {
            words.append("cryptomgr.notests")
        }
        return words
    }
}
