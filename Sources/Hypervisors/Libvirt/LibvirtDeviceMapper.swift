import AVPSModel
import Foundation
import HypervisorCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Maps one `DeviceSpec` to its libvirt `<devices>` element, the way QEMUCommandLine maps it to
/// arguments. Kinds libvirt 9.0 cannot express the way the QEMU adapter does are `unsupported`.
struct DeviceMapper {
    let paths: LibvirtDomainXML.Paths
    private var disks = 0
    private var scsiControllers = 0
    private var balloons = 0

    init(paths: LibvirtDomainXML.Paths) { self.paths = paths }

    mutating func element(for device: DeviceSpec, index: Int) throws(HypervisorError) -> XMLElement {
        typealias X = LibvirtDomainXML
        switch device {
        case .block(let sizeMiB, let discard, let readOnly, _, _):
            guard sizeMiB >= 1 else { throw .invalidTarget("block size_mib must be at least 1") }
            // libvirt's `discard` is the backend's; the device's DISCARD feature has no libvirt knob.
            guard discard else { throw .unsupported("block with discard: false (libvirt has no switch for the device's DISCARD feature)") }
            let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(disks % 26)))
            disks += 1
            var children = [
                X.element("driver", ["name": "qemu", "type": "raw"]),
                X.element("source", ["file": X.diskPath(index, workspace: paths.workspace)]),
                X.element("target", ["dev": "vd\(letter)", "bus": "virtio"]),
            ]
            if readOnly { children.append(X.element("readonly")) }
            return X.element("disk", ["type": "file", "device": "disk"], children: children)
        case .net:
            // User-mode networking: no bridge, dnsmasq or privileges.
            return X.element("interface", ["type": "user"], children: [X.element("model", ["type": "virtio"])])
        case .entropy:
            return X.element("rng", ["model": "virtio"], children: [X.element("backend", ["model": "random"], text: "/dev/urandom")])
        case .console:
            return X.element("console", ["type": "file"], children: [
                X.element("source", ["path": "\(paths.workspace)/console\(index).log"]), X.element("target", ["type": "virtio"]),
            ])
        case .balloon:
            balloons += 1
            guard balloons == 1 else { throw .invalidTarget("libvirt allows one balloon device") }
            return X.element("memballoon", ["model": "virtio"])
        case .keyboard:
            return X.element("input", ["type": "keyboard", "bus": "virtio"])
        case .tablet:
            return X.element("input", ["type": "tablet", "bus": "virtio"])
        case .scsi:
            scsiControllers += 1
            return X.element("controller", ["type": "scsi", "index": String(scsiControllers - 1), "model": "virtio-scsi"])
        case .ninep:
            // `squash` is QEMU's security_model=none, as the QEMU adapter uses.
            return X.element("filesystem", ["type": "mount", "accessmode": "squash"], children: [
                X.element("source", ["dir": X.sharePath(index, workspace: paths.workspace)]),
                X.element("target", ["dir": "avps\(index)"]),
            ])
        case .crypto, .gpu, .iommu, .legacy, .vsock, .sound, .pmem, .watchdog, .emulatedCAN:
            throw .unsupported("device \(device.kind)\(device.isLegacy ? " (modern: false)" : "") through libvirt "
                               + "(supported: block, net, entropy, console, balloon, keyboard, tablet, scsi, 9p)")
        }
    }
}

extension DeviceSpec {
    var isLegacy: Bool { if case .legacy = self { true } else { false } }
}
