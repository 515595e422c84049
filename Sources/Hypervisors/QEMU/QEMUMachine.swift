import AVPSModel
import HypervisorCore

/// What differs between the QEMU system emulators avps drives: the binary, the machine types it
/// accepts, CPU options and how a virtio device model is named on the target's transport.
struct QEMUMachine: Sendable, Equatable {
    let arch: GuestArchitecture
    let transport: DeviceTransport

    init(_ target: TargetSpec) {
        arch = target.arch
        transport = target.transport
    }

    /// Executable name looked up on PATH.
    var binaryName: String { "qemu-system-\(arch.rawValue)" }

    /// Extra arguments after `-machine`: aarch64 `virt` under TCG emulates the `max` CPU (every
    /// feature QEMU implements). `pauth-impdef=on` keeps pointer authentication but computes the
    /// codes with QEMU's implementation-defined hash instead of QARMA, which the architecture
    /// allows: measured boot-to-poweroff 26-35 s -> 8.5-12.6 s on this loaded host.
    /// `virtio-mmio.force-legacy=false` turns the transports modern.
    var cpuArguments: [String] {
        var args: [String] = arch == .aarch64 ? ["-cpu", "max,pauth-impdef=on"] : []
        if transport == .mmioModern { args += ["-global", "virtio-mmio.force-legacy=false"] }
        return args
    }

    /// Options appended to `-machine`. microvm leaves the legacy 8259 out (`pic=off`): its MADT does
    /// not flag a PC-AT PIC, so Linux never programs it, and the chip stays at vector base 0 with
    /// every line unmasked. QEMU 10 routes its output to the vCPU, so a PIT tick still pending when
    /// the kernel first enables interrupts arrives as vector 0, a "divide error" in `start_kernel`:
    /// the guest panics and, under `-no-reboot`, QEMU exits 0 before the console prints anything
    /// (intermittent, most often on a loaded host; `info pic` shows `irq_base=00 imr=00` on 7.2 and
    /// 10.0 alike, only 10.0 delivers). Interrupts go through the IOAPIC either way.
    func machineOptions(machine: String) -> String {
        arch == .x86_64 && machine == "microvm" ? ",pic=off" : ""
    }

    /// Kernel parameters this machine needs under `accelerator`. microvm has no HPET and no ACPI
    /// PM timer, so the guest calibrates its TSC against the PIT alone; when the host deschedules
    /// the TCG vCPU mid-measurement that fails ("Unable to calibrate against PIT") and the boot
    /// hangs. Under TCG QEMU's TSC runs at 1 GHz (a q35 guest refines it against the HPET to
    /// 1000.000 MHz), so the guest is told instead of measuring.
    func kernelParameters(machine: String, accelerator: String) -> [String] {
        arch == .x86_64 && machine == "microvm" && accelerator == "tcg" ? ["tsc_early_khz=1000000"] : []
    }

    /// The QEMU device model of `base` (e.g. `virtio-blk`) on this transport: `virtio-blk-pci`
    /// or, for virtio-mmio, `virtio-blk-device`.
    func model(_ base: String) -> String {
        base + (transport == .pci ? "-pci" : "-device")
    }

    /// Refuses a machine type the emulator cannot build or that has no transport of this kind.
    func validate(machine: String) throws(HypervisorError) {
        switch arch {
        case .x86_64 where machine == "microvm":
            guard transport != .pci else {
                throw .invalidTarget("machine microvm has no PCI bus here (use transport mmio or mmio-modern)")
            }
        case .x86_64:
            guard ["q35", "pc"].contains(machine) || machine.hasPrefix("pc-") else {
                throw .invalidTarget("machine \(machine) is not an x86_64 machine avps drives (use q35, or microvm with virtio-mmio)")
            }
            guard transport == .pci else {
                throw .invalidTarget("transport \(transport.rawValue) needs arch aarch64 or machine microvm (\(machine) is a PCI machine)")
            }
        case .aarch64:
            guard machine == "virt" || machine.hasPrefix("virt-") else {
                throw .invalidTarget("machine \(machine) is not an aarch64 machine with virtio-mmio and PCI (use virt)")
            }
        }
    }

    /// The accelerator to use: this x86_64 host can only emulate (TCG) other architectures.
    func foreignAccelerator(_ requested: String) throws(HypervisorError) -> String? {
        guard arch != .x86_64 else { return nil }
        switch requested {
        case "auto", "tcg": return "tcg"
        default: throw .invalidTarget("accelerator \(requested) cannot run \(arch.rawValue) guests on this host (use tcg or auto)")
        }
    }
}
