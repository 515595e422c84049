import AVPSModel
import Foundation
import HypervisorCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Builds libvirt domain XML from a hypervisor-neutral target. Pure: no files are touched, so the
/// exact XML can be shown by `--plan` and recorded before anything starts. Every value goes
/// through FoundationXML, which escapes it; nothing is spliced into markup by hand.
enum LibvirtDomainXML {
    struct Paths: Sendable {
        var workspace: String
        var serialLog: String
        var agentSocket: String
    }

    /// Returns the XML and the virtio device ids the guest should see.
    static func build(
        name: String, target: TargetSpec, domainType: String, boot: BootArtifacts, paths: Paths
    ) throws(HypervisorError) -> (xml: String, expectedDevices: [Int]) {
        guard target.memoryMiB >= 64 else { throw .invalidTarget("memory_mib must be at least 64 (got \(target.memoryMiB))") }
        guard (1...64).contains(target.cpus) else { throw .invalidTarget("cpus must be 1...64 (got \(target.cpus))") }
        guard ["q35", "pc"].contains(target.machine) || target.machine.hasPrefix("pc-") else {
            throw .invalidTarget("machine \(target.machine) is not an x86_64 PCI machine (use q35)")
        }
        let domain = element("domain", ["type": domainType], children: [
            element("name", text: name),
            element("memory", ["unit": "MiB"], text: String(target.memoryMiB)),
            element("vcpu", text: String(target.cpus)),
            element("os", children: [
                element("type", ["arch": "x86_64", "machine": target.machine], text: "hvm"),
                element("kernel", text: boot.kernel),
                element("initrd", text: boot.initrd),
                element("cmdline", text: ([boot.kernelCommandLine] + target.kernelAppend).joined(separator: " ")),
            ]),
            // Without ACPI the guest's poweroff only halts and the domain never stops.
            element("features", children: [element("acpi")]),
            element("on_poweroff", text: "destroy"),
            element("on_reboot", text: "destroy"),
            element("on_crash", text: "destroy"),
        ])
        let devices = element("devices", children: [
            element("serial", ["type": "file"], children: [
                element("source", ["path": paths.serialLog]), element("target", ["port": "0"]),
            ]),
            element("controller", ["type": "usb", "model": "none"]),
            // The agent channel; libvirt adds the virtio-serial controller it rides on.
            element("channel", ["type": "unix"], children: [
                element("source", ["mode": "bind", "path": paths.agentSocket]),
                element("target", ["type": "virtio", "name": AgentStreams.serialPortName]),
            ]),
        ])
        var expected = [3]
        var mapper = DeviceMapper(paths: paths)
        for (index, device) in target.devices.enumerated() {
            devices.addChild(try mapper.element(for: device, index: index))
            if case .console = device { continue }  // a port on the agent's virtio-serial controller
            if let virtioID = device.virtioDeviceID { expected.append(virtioID) }
        }
        let links = try linkElements(target.membership)
        for link in links.elements { devices.addChild(link) }
        expected += links.expected
        if !target.devices.contains(.balloon) { devices.addChild(element("memballoon", ["model": "none"])) }
        domain.addChild(devices)
        let document = XMLDocument(rootElement: domain)
        return (document.xmlString(options: [.nodePrettyPrint]), expected.sorted())
    }

    /// Backing file of the block device at `index` (created by the adapter before start).
    static func diskPath(_ index: Int, workspace: String) -> String { "\(workspace)/disk\(index).raw" }

    /// Directory shared over 9p by the device at `index` (created by the adapter before start).
    static func sharePath(_ index: Int, workspace: String) -> String { "\(workspace)/share\(index)" }

    /// An element with attributes in the given order (stable XML for plans and diffs) and escaped text.
    static func element(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], text: String? = nil,
                        children: [XMLElement] = []) -> XMLElement {
        let node = XMLElement(name: name)
        if let text { node.stringValue = text }
        for (key, value) in attributes {
            if let attribute = XMLNode.attribute(withName: key, stringValue: value) as? XMLNode { node.addAttribute(attribute) }
        }
        for child in children { node.addChild(child) }
        return node
    }
}
