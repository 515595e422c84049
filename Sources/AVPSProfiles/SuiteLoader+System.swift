import AVPSModel

/// What a system passes down to each of its VMs.
struct SystemDefaults {
    var system: String
    var adapter: String
    var accelerator: String
}

/// Systems: a target with `vms:` is several guests started together under one hypervisor, with
/// `links:` between them.
///
/// ```yaml
/// - name: two-vms
///   adapter: qemu              # systems run on qemu (docs/adapters.md)
///   accelerator: auto          # default for every VM
///   vms:                       # two or more; each takes the keys of a single target except adapter
///     - {name: a, memory_mib: 256, devices: [{block: {size_mib: 16}}, 9p]}
///     - {name: b, devices: [{block: {size_mib: 16}}]}
///   links:
///     - {kind: network, vms: [a, b]}           # guest-to-guest IP (a second NIC in each)
///     - {kind: vsock, vms: [a, b]}             # sibling vsock, routed by CID
///     - {kind: shared-memory, vms: [a, b], size_mib: 4}
///   restart_test: a            # optional: power-cycle VM a mid-traffic, watch the others
/// ```
extension SuiteLoader {
    static let systemKeys = ["name", "adapter", "accelerator", "vms", "links", "restart_test"]
    static let vmKeys = targetKeys.filter { !["adapter", "external", "ssh"].contains($0) }
    /// Adapters that can start a system today (docs/adapters.md says what the others lack).
    static let systemAdapters = ["qemu", "libvirt", "external"]
    /// Why an adapter cannot start a system.
    static let noSystemReason = [
        "ssh": "its remote supervisor starts one QEMU and forwards one agent socket",
    ]
    static let linkKeys = ["kind", "vms", "size_mib"]

    static func isSystem(_ reader: YAMLNodeReader) throws(LoadError) -> Bool {
        guard case .mapping = reader.node else { return false }
        return try reader.mapping().optional("vms") != nil
    }

    static func system(_ reader: YAMLNodeReader) throws(LoadError) -> TargetSpec {
        let mapping = try reader.mapping(allowedKeys: systemKeys)
        let name = try validName(mapping)
        let adapter = try mapping.optionalString("adapter") ?? "qemu"
        guard systemAdapters.contains(adapter) else {
            throw try mapping.required("adapter").error(
                "a system (vms:) runs on adapter \(systemAdapters.joined(separator: ", ")) only; \(adapter) cannot start several guests"
                + (noSystemReason[adapter].map { ": \($0)" } ?? "") + " (docs/adapters.md)")
        }
        let accelerator = try mapping.optionalString("accelerator") ?? "auto"
        guard ["auto", "kvm", "tcg"].contains(accelerator) else {
            throw try mapping.required("accelerator").error("must be auto, kvm or tcg")
        }
        let defaults = SystemDefaults(system: name, adapter: adapter, accelerator: accelerator)
        let vmsReader = try mapping.required("vms")
        let vmReaders = try vmsReader.sequence()
        guard vmReaders.count >= 2 else {
            throw vmsReader.error("a system needs two or more VMs (got \(vmReaders.count)); a single guest is a plain target")
        }
        var vms: [TargetSpec] = []
        var shortNames: [String] = []
        for vmReader in vmReaders {
            let vm = try target(vmReader, inherited: defaults)
            let short = String(vm.name.dropFirst(name.count + 1))
            if let first = shortNames.firstIndex(of: short) {
                throw try vmReader.mapping().required("name").error("duplicate VM name \"\(short)\" (first used by vms[\(first)])")
            }
            shortNames.append(short)
            vms.append(vm)
        }
        let links = try mapping.optional("links")?.sequence().map { reader throws(LoadError) -> SystemLink in
            let link = try link(reader, vms: shortNames)
            if adapter == "libvirt" { try libvirtCanWire(link, reader) }
            if adapter == "external", link.kind != .network {
                throw try reader.mapping().required("kind").error("adapter external wires network links only (your start commands take "
                    + "the {linkN_...} placeholders); avps cannot hand its vsock backend or shared-memory file to your hypervisor (docs/adapters.md)")
            }
            return link
        } ?? []
        for index in vms.indices {
            vms[index].membership = SystemMembership(system: name, vm: shortNames[index], index: index,
                                                     siblings: shortNames, links: links)
        }
        var system = TargetSpec(name: name, adapter: adapter, accelerator: accelerator, devices: [])
        system.vms = vms
        system.links = links
        if let restart = mapping.optional("restart_test") {
            let vm = try restart.nonEmptyString()
            guard shortNames.contains(vm) else {
                throw restart.error("unknown VM \"\(vm)\" to restart (this system has: \(shortNames.joined(separator: ", ")))"
                                    + YAMLNodeReader.suggestion(for: vm, among: shortNames))
            }
            guard adapter == "qemu" else {
                throw restart.error("restart_test power-cycles a VM through QMP (system_reset), which adapter \(adapter) does not give avps; use adapter qemu")
            }
            system.restartTest = vm
        }
        return system
    }

    /// libvirt joins two domains with a `udp` interface (no bridge, no root); nothing else.
    static func libvirtCanWire(_ link: SystemLink, _ reader: YAMLNodeReader) throws(LoadError) {
        let mapping = try reader.mapping()
        guard link.kind == .network else {
            throw try mapping.required("kind").error("adapter libvirt cannot wire a \(link.kind.rawValue) link between domains "
                + "(no vhost-user-vsock backend of ours, no shared-memory file of ours); only network links of two VMs (docs/adapters.md)")
        }
        guard link.vms.count == 2 else {
            throw try mapping.required("vms").error("through adapter libvirt a network link joins two VMs (a point-to-point udp interface; "
                + "libvirt's mcast interface cannot keep its traffic on 127.0.0.1), got \(link.vms.count) (docs/adapters.md)")
        }
    }

    /// `{kind: network | vsock | shared-memory, vms: [a, b], size_mib: N}`.
    static func link(_ reader: YAMLNodeReader, vms known: [String]) throws(LoadError) -> SystemLink {
        let mapping = try reader.mapping(allowedKeys: linkKeys)
        let kind = try mapping.requiredEnum("kind", SystemLink.Kind.self)
        let vmsReader = try mapping.required("vms")
        var names: [String] = []
        for item in try vmsReader.sequence() {
            let name = try item.nonEmptyString()
            guard known.contains(name) else {
                throw item.error("unknown VM \"\(name)\" (this system has: \(known.joined(separator: ", ")))"
                                 + YAMLNodeReader.suggestion(for: name, among: known))
            }
            guard !names.contains(name) else { throw item.error("VM \"\(name)\" is named twice in this link") }
            names.append(name)
        }
        guard names.count >= 2 else { throw vmsReader.error("a link joins two or more VMs (got \(names.count))") }
        var size: Int?
        if let sizeReader = mapping.optional("size_mib") {
            guard kind == .sharedMemory else { throw sizeReader.error("size_mib is an option of shared-memory links only") }
            let value = try sizeReader.int()
            guard (1...1024).contains(value), value & (value - 1) == 0 else {
                throw sizeReader.error("size_mib must be a power of two from 1 to 1024 (got \(value))")
            }
            size = value
        }
        if kind == .sharedMemory { size = size ?? SystemLink.defaultSharedMemoryMiB }
        return SystemLink(kind: kind, vms: names, sizeMiB: size)
    }
}
