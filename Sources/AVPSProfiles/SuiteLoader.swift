import AVPSModel
import Foundation

/// A suite: which targets to boot and which profiles to score on each (`Suites/*.yaml`).
public struct Suite: Sendable, Equatable {
    public var name: String
    /// Profile names (resolved to `Profiles/<name>.yaml`) or paths to profile files.
    public var profiles: [String]
    public var targets: [TargetSpec]
    /// Signed vendor attestation files with the keys trusted for them (`attestations:`).
    public var attestations: [AttestationSource] = []
}

/// Loads suite files with the same file:line:field errors as profiles.
///
/// ```yaml
/// schema: 1
/// name: default
/// profiles: [avps-2.0]
/// targets:
///   - name: qemu-q35
///     adapter: qemu          # default qemu
///     machine: q35           # default q35
///     memory_mib: 256
///     cpus: 1
///     accelerator: auto      # auto | kvm | tcg
///     devices: [ {block: {size_mib: 64}}, net, entropy, console, balloon ]
///     # also: {pmem: {size_mib: 64}}, watchdog, {watchdog: {expiry_test: true, expiry_seconds: 2}}, emulated-can,
///     #       {block: {power_cut_test: true}} (the destructive power-cut test, AUTO-STOR-01; qemu adapter)
///     kernel_append: []
///     agent_channel: auto    # auto | vsock | virtio-serial
///     qemu: {from: system}   # system | backports (QEMU 10 from bookworm-backports; adapter qemu only)
///     kernel: {from: system} # system | backports (Linux 6.12 from bookworm-backports)
///     arch: x86_64           # x86_64 | aarch64 (machine defaults to virt)
///     transport: pci         # pci | mmio (Version 1, legacy) | mmio-modern (Version 2); mmio needs aarch64 or machine: microvm
/// ```
public enum SuiteLoader {
    public static let currentSchemaVersion = 1

    public static func load(contentsOf url: URL) throws(LoadError) -> Suite {
        try suite(from: YAMLDocument.root(contentsOf: url))
    }

    public static func load(yaml: String, file: String) throws(LoadError) -> Suite {
        try suite(from: YAMLDocument.root(yaml: yaml, file: file))
    }

    static func suite(from root: YAMLNodeReader) throws(LoadError) -> Suite {
        let mapping = try root.mapping(allowedKeys: ["schema", "name", "profiles", "targets", "attestations"])
        let schema = try mapping.required("schema")
        guard try schema.int() == currentSchemaVersion else {
            throw schema.error("unsupported suite schema (this avps reads schema \(currentSchemaVersion))")
        }
        let profiles = try mapping.required("profiles").sequence().map { reader throws(LoadError) in
            try reader.nonEmptyString()
        }
        let targetsReader = try mapping.required("targets")
        let targets = try targetsReader.sequence().map { reader throws(LoadError) in
            try isSystem(reader) ? try system(reader) : try target(reader)
        }
        guard !targets.isEmpty else { throw targetsReader.error("a suite needs at least one target") }
        guard !profiles.isEmpty else { throw try mapping.required("profiles").error("a suite needs at least one profile") }
        var seen: [String: Int] = [:]
        for (index, target) in targets.enumerated() {
            if let first = seen[target.name] {
                throw try targetsReader.sequence()[index].error(
                    "duplicate target name \"\(target.name)\" (first used by targets[\(first)])")
            }
            seen[target.name] = index
        }
        return Suite(name: try mapping.requiredString("name"), profiles: profiles, targets: targets,
                     attestations: try attestations(mapping.optional("attestations")))
    }

    static let targetKeys = ["name", "adapter", "machine", "memory_mib", "cpus", "accelerator", "devices", "kernel_append",
                             "external", "agent_channel", "qemu", "kernel", "arch", "transport", "ssh"]

    /// A single guest, or (with `inherited`) one VM of a system: the system decides the adapter
    /// and the default accelerator, the VM everything else.
    static func target(_ reader: YAMLNodeReader, inherited: SystemDefaults? = nil) throws(LoadError) -> TargetSpec {
        let mapping = try reader.mapping(allowedKeys: inherited == nil ? targetKeys : inherited?.adapter == "external" ? vmKeys + ["external"] : vmKeys)
        let name = try validName(mapping)
        let accelerator = try mapping.optionalString("accelerator") ?? (inherited?.accelerator ?? "auto")
        guard ["auto", "kvm", "tcg"].contains(accelerator) else {
            throw try mapping.required("accelerator").error("must be auto, kvm or tcg")
        }
        let devices = try mapping.required("devices").sequence().map { reader throws(LoadError) in try device(reader) }
        let watchdogs = devices.indices.filter { devices[$0].kind == "watchdog" }
        if watchdogs.count > 1 {  // the probes and the expiry test judge one watchdog per guest
            throw try mapping.required("devices").sequence()[watchdogs[1]].error("a target has at most one watchdog")
        }
        let append = try mapping.optional("kernel_append")?.sequence().map { reader throws(LoadError) in
            try reader.nonEmptyString()
        } ?? []
        let channelName = try mapping.optionalString("agent_channel") ?? "auto"
        guard let channel = AgentChannelKind(rawValue: channelName) else {
            throw try mapping.required("agent_channel").error("must be auto, vsock or virtio-serial")
        }
        var adapter = try mapping.optionalString("adapter") ?? "qemu"
        if let inherited { adapter = inherited.adapter }
        let external = try mapping.optional("external").map { reader throws(LoadError) in try externalSpec(reader) }
        if adapter == "external", external == nil {
            guard inherited == nil else { throw reader.error("each VM of an external system needs its own `external:` section (start, channel)") }
            throw try mapping.required("adapter").error("adapter external needs an `external:` section (start, channel)")
        }
        if inherited != nil, external?.remote != nil {
            throw try mapping.required("external").error("a VM of a system runs on this host (its links are 127.0.0.1 ports): `remote:` is for single targets")
        }
        let ssh = try mapping.optional("ssh").map { reader throws(LoadError) in try sshSpec(reader) }
        try checkSSHSection(adapter: adapter, ssh: ssh, mapping: mapping)
        let qemuFrom = try mapping.optional("qemu").map { reader throws(LoadError) in try origin(reader) }
        if qemuFrom != nil, adapter != "qemu" {
            throw try mapping.required("qemu").error("`qemu:` chooses the QEMU build of adapter qemu; this target uses adapter \(adapter)")
        }
        let kernelFrom = try mapping.optional("kernel").map { reader throws(LoadError) in try origin(reader) }
        let arch = try mapping.optionalEnum("arch", GuestArchitecture.self) ?? .x86_64
        let transport = try mapping.optionalEnum("transport", DeviceTransport.self) ?? .pci
        try checkPlatform(mapping, arch: arch, transport: transport, devices: devices)
        for (key, from) in [("qemu", qemuFrom), ("kernel", kernelFrom)] where from == .backports && arch != .x86_64 {
            throw try mapping.required(key).error("`\(key): {from: backports}` is fetched for x86_64 only; arch \(arch.rawValue) uses the system's")
        }
        return TargetSpec(
            name: inherited.map { TargetSpec.memberName(system: $0.system, vm: name) } ?? name, adapter: adapter, machine: try mapping.optionalString("machine"),
            memoryMiB: try mapping.optionalInt("memory_mib") ?? 256, cpus: try mapping.optionalInt("cpus") ?? 1,
            accelerator: accelerator, devices: devices, agentChannel: channel, kernelAppend: append, external: external,
            qemuFrom: qemuFrom, kernelFrom: kernelFrom, arch: arch, transport: transport, ssh: ssh)
    }

    /// A target's `name`: letters, digits, '-', '_' and '.' (it names a directory of the run).
    static func validName(_ mapping: YAMLMapping) throws(LoadError) -> String {
        let name = try mapping.requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw try mapping.required("name").error("target names may use letters, digits, '-', '_' and '.' only")
        }
        return name
    }

    /// `{from: system | backports}`: where a QEMU build or guest kernel comes from.
    static func origin(_ reader: YAMLNodeReader) throws(LoadError) -> PackageOrigin {
        try reader.mapping(allowedKeys: ["from"]).requiredEnum("from", PackageOrigin.self)
    }

    /// Architecture, machine, transport and devices must fit together: virtio-mmio exists here on
    /// the aarch64 `virt` machine and on x86_64 `microvm` (which has no PCI bus in our use), and
    /// there only for devices QEMU offers as `virtio-*-device`.
    static func checkPlatform(_ mapping: YAMLMapping, arch: GuestArchitecture, transport: DeviceTransport,
                              devices: [DeviceSpec]) throws(LoadError) {
        var machine: String?
        if let machineReader = mapping.optional("machine") {
            let name = try machineReader.nonEmptyString()
            let fits = arch == .aarch64 ? name == "virt" || name.hasPrefix("virt-")
                                        : ["q35", "pc", "microvm"].contains(name) || name.hasPrefix("pc-")
            if !fits {
                throw machineReader.error("machine \(name) does not fit arch \(arch.rawValue) (use \(arch == .aarch64 ? "virt" : "q35 or microvm"))")
            }
            if name == "microvm" && !transport.isMMIO {
                throw machineReader.error("machine microvm has no PCI bus here: add transport: mmio (legacy) or mmio-modern")
            }
            machine = name
        }
        guard transport.isMMIO else { return }
        if arch != .aarch64 && machine != "microvm" {
            throw try mapping.required("transport").error("transport \(transport.rawValue) needs arch: aarch64 or machine: microvm (q35 and pc are PCI machines)")
        }
        let deviceReaders = try mapping.required("devices").sequence()
        for (index, device) in devices.enumerated() {
            switch device {
            case .iommu:
                throw deviceReaders[index].error("iommu is a PCI device in QEMU 7.2; it needs transport: pci")
            case .legacy:
                throw deviceReaders[index].error("modern: false is a PCI option; on virtio-mmio choose transport: mmio (legacy) or mmio-modern")
            default:
                continue
            }
        }
    }

    /// `external: {start: [...], stop: [...], reset: [...], channel: {unix: PATH} | {tcp: "HOST:PORT"} | {hybrid_vsock: PATH, port: N},
    /// console_ports: {PORT_NAME: SOCKET_PATH, ...}, host_files: {block: [...], 9p: [...], pmem: [...]},
    /// remote: {host, user, identity, known_hosts, ..., upload: {NAME: LOCAL_PATH}}}`
    static func externalSpec(_ reader: YAMLNodeReader) throws(LoadError) -> ExternalSpec {
        let mapping = try reader.mapping(allowedKeys: ["start", "stop", "reset", "channel", "console_ports", "host_files", "remote"])
        func argv(_ key: String) throws(LoadError) -> [String]? {
            guard let value = mapping.optional(key) else { return nil }
            let items = try value.sequence().map { item throws(LoadError) in try item.nonEmptyString() }
            guard !items.isEmpty else { throw value.error("needs at least the program to run") }
            return items
        }
        guard let start = try argv("start") else { throw try mapping.required("start").error("missing") }
        let channelReader = try mapping.required("channel")
        let channelMapping = try channelReader.mapping(allowedKeys: ["unix", "tcp", "hybrid_vsock", "port"])
        let kind = try channelMapping.exactlyOne(of: ["unix", "tcp", "hybrid_vsock"])
        let channel: ExternalChannel
        switch kind.key {
        case "unix":
            channel = .unix(path: try kind.value.nonEmptyString())
        case "tcp":
            let text = try kind.value.nonEmptyString()
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (1...65535).contains(port) else {
                throw kind.value.error("expected HOST:PORT, e.g. 127.0.0.1:5555")
            }
            channel = .tcp(host: String(text[..<colon]), port: port)
        default:
            guard let port = try channelMapping.optionalInt("port"), (1...Int(UInt32.max - 1)).contains(port) else {
                throw channelReader.error("hybrid_vsock needs `port:` (the agent's vsock port, 1...4294967294)")
            }
            channel = .hybridVsock(path: try kind.value.nonEmptyString(), port: port)
        }
        var consolePorts: [String: String]?
        if let ports = mapping.optional("console_ports") {
            var found: [String: String] = [:]
            for entry in try ports.mapping().entries { found[entry.key] = try entry.value.nonEmptyString() }
            consolePorts = found
        }
        let (stop, reset) = (try argv("stop"), try argv("reset"))
        let remote = try mapping.optional("remote").map { reader throws(LoadError) in try externalRemote(reader) }
        if remote != nil, (start + (stop ?? []) + (reset ?? [])).contains(where: { $0.contains("{avps}") }) {
            throw try mapping.required("remote").error("{avps} is this machine's avps binary and cannot run on the remote host; name the tool installed there")
        }
        return ExternalSpec(start: start, stop: stop, reset: reset, channel: channel, consolePorts: consolePorts,
                            hostFiles: try mapping.optional("host_files").map { files throws(LoadError) in try hostFiles(files) },
                            remote: remote)
    }

    /// `host_files: {block: [PATH...], 9p: [DIR...], pmem: [PATH...]}` (each list optional, paths non-empty).
    static func hostFiles(_ reader: YAMLNodeReader) throws(LoadError) -> ExternalHostFiles {
        let mapping = try reader.mapping(allowedKeys: ["block", "9p", "pmem"])
        func paths(_ key: String) throws(LoadError) -> [String] {
            try mapping.optional(key)?.sequence().map { item throws(LoadError) in try item.nonEmptyString() } ?? []
        }
        return ExternalHostFiles(block: try paths("block"), ninep: try paths("9p"), pmem: try paths("pmem"))
    }

    /// A device is a bare kind (`entropy`) or a one-key mapping with options (`{block: {size_mib: 64}}`).
    static func device(_ reader: YAMLNodeReader) throws(LoadError) -> DeviceSpec {
        let kind: String
        var options: YAMLMapping?
        if case .scalar = reader.node {
            kind = try reader.nonEmptyString()
        } else {
            let mapping = try reader.mapping()
            let only = try mapping.exactlyOne(of: DeviceSpec.kinds)
            kind = only.key
            options = only.value.isNull ? nil : try only.value.mapping(allowedKeys: optionKeys(kind))
        }
        let base = try baseDevice(kind, options: options, reader: reader)
        if let modern = try options?.optional("modern")?.bool(), !modern {
            return .legacy(base)
        }
        return base
    }

    /// Options a device kind accepts: block sizes and feature switches, `modern: false` where a
    /// legacy (transitional) form exists, the pmem size, the destructive watchdog and power-cut tests.
    static func optionKeys(_ kind: String) -> [String] {
        let legacy = DeviceSpec.legacyCapableKinds.contains(kind) ? ["modern"] : []
        let own: [String: [String]] = ["block": ["size_mib", "discard", "read_only", "scratch", "power_cut_test"], "pmem": ["size_mib"],
                                       "watchdog": ["expiry_test", "expiry_seconds"]]
        return (own[kind] ?? []) + legacy
    }

    /// `{watchdog: {expiry_test: true, expiry_seconds: 2}}`: the destructive test is off unless
    /// asked for; `expiry_seconds` without the test is a mistake worth reporting.
    static func watchdogExpiry(_ options: YAMLMapping?) throws(LoadError) -> WatchdogExpiry? {
        let secondsReader = options?.optional("expiry_seconds")
        let seconds = try secondsReader?.int()
        let enabled = try options?.optional("expiry_test")?.bool() ?? false
        if let secondsReader, !enabled {
            throw secondsReader.error("expiry_seconds needs expiry_test: true (the destructive test is off by default)")
        }
        if let seconds, let secondsReader, !WatchdogExpiry.allowedSeconds.contains(seconds) {
            let range = WatchdogExpiry.allowedSeconds
            throw secondsReader.error("expiry_seconds must be \(range.lowerBound)...\(range.upperBound) (got \(seconds))")
        }
        return enabled ? WatchdogExpiry(seconds: seconds ?? WatchdogExpiry.defaultSeconds) : nil
    }

    static func baseDevice(_ kind: String, options: YAMLMapping?, reader: YAMLNodeReader) throws(LoadError) -> DeviceSpec {
        switch kind {
        case "block":
            return .block(sizeMiB: try options?.optionalInt("size_mib") ?? 64,
                          discard: try options?.optional("discard")?.bool() ?? true,
                          readOnly: try options?.optional("read_only")?.bool() ?? false,
                          scratch: try options?.optional("scratch")?.bool(),
                          powerCut: try options?.optional("power_cut_test")?.bool() == true ? true : nil)
        case "9p": return .ninep
        case "crypto": return .crypto
        case "gpu": return .gpu
        case "iommu": return .iommu
        case "net": return .net
        case "entropy": return .entropy
        case "console": return .console
        case "balloon": return .balloon
        case "scsi": return .scsi
        case "keyboard": return .keyboard
        case "tablet": return .tablet
        case "vsock": return .vsock
        case "sound": return .sound
        case "pmem":
            let sizeReader = options?.optional("size_mib")
            let size = try sizeReader?.int() ?? 64
            if let sizeReader, size < 2 || size % 2 != 0 {
                throw sizeReader.error("pmem size_mib must be an even number of at least 2 (guest memory is plugged in 2 MiB blocks)")
            }
            return .pmem(sizeMiB: size)
        case "watchdog":
            return .watchdog(expiry: try watchdogExpiry(options))
        case "emulated-can": return .emulatedCAN
        default:
            throw reader.error("unknown device \"\(kind)\" (known: \(DeviceSpec.kinds.joined(separator: ", ")))\(YAMLNodeReader.suggestion(for: kind, among: DeviceSpec.kinds))")
        }
    }
}
