import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// Boots targets as transient libvirt domains through libvirt's C API (adapter name `libvirt`).
///
/// The plan is domain XML; the recorded command line is `["libvirt", URI, XML]`. Lifecycle, each
/// step undone on failure: workspace → disks → connect → create (paused, AUTODESTROY) → agent
/// socket → resume → caller's body → guest poweroff, else virDomainShutdown, else
/// virDomainDestroy → connection closed → workspace removed.
///
/// The URI comes from `AVPS_LIBVIRT_URI`, default `qemu:///system` (a running libvirtd; CI starts
/// one with `ci/libvirtd start`).
public struct LibvirtAdapter: Hypervisor {
    public let name = "libvirt"
    public let uri: String

    public static let defaultURI = "qemu:///system"

    public init(uri: String? = nil) {
        self.uri = uri ?? ProcessInfo.processInfo.environment["AVPS_LIBVIRT_URI"] ?? Self.defaultURI
    }

    public func prepare(_ target: TargetSpec, boot: BootArtifacts, artifactDirectory: URL) async throws(HypervisorError) -> PreparedLaunch {
        guard target.adapter == name else { throw .unsupported("adapter \(target.adapter) (this is \(name))") }
        guard target.arch == .x86_64, target.transport == .pci else {
            throw .unsupported("the libvirt adapter builds x86_64 PCI domains only (target asks for \(target.arch.rawValue), \(target.transport.rawValue))")
        }
        // TCG needs no /dev/kvm; `auto` stays on TCG because libvirt cannot fall back by itself.
        let accelerator = try unprobedAccelerator(target.accelerator)
        return try withNewWorkspace { workspace throws(HypervisorError) in
            let paths = LibvirtDomainXML.Paths(
                workspace: workspace.path,
                serialLog: artifactDirectory.appendingPathComponent("serial.log").path,
                agentSocket: workspace.appendingPathComponent("agent.sock").path)
            let (xml, expected) = try LibvirtDomainXML.build(
                name: Self.domainName(target, workspace: workspace), target: target,
                domainType: accelerator == "kvm" ? "kvm" : "qemu", boot: boot, paths: paths)
            var launch = PreparedLaunch(
                target: target, accelerator: accelerator, commandLine: ["libvirt", uri, xml],
                expectedVirtioDevices: expected, workspace: workspace, agentSocket: paths.agentSocket, qmpSocket: "",
                serialLog: URL(fileURLWithPath: paths.serialLog),
                stderrLog: artifactDirectory.appendingPathComponent("qemu-stderr.log"))
            // A local daemon serves the files created here; a remote one (qemu+ssh://host/...) does not.
            if (URL(string: uri)?.host ?? "").isEmpty {
                launch.hostDataEnds = .workspaceFiles(
                    target, disk: { LibvirtDomainXML.diskPath($0, workspace: workspace.path) },
                    share: { LibvirtDomainXML.sharePath($0, workspace: workspace.path) }, pmem: { _ in "" })
            }
            return launch
        }
    }

    public func withRunningGuest<T: Sendable>(
        _ launch: PreparedLaunch, timeouts: LaunchTimeouts, stages: StageLog,
        _ body: @Sendable (RunningGuest) async throws -> T
    ) async throws -> T {
        try await guardedSession(launch) {
            try LibvirtWorkspace.populate(launch)
            guard launch.commandLine.count == 3 else { throw HypervisorError.invalidTarget("not a libvirt launch") }
            let session = LibvirtSession(launch: launch, uri: launch.commandLine[1], xml: launch.commandLine[2],
                                         domainName: Self.domainName(launch.target, workspace: launch.workspace),
                                         timeouts: timeouts, stages: stages)
            // libvirt's AUTODESTROY ends the domain if avps dies; the guard removes the workspace then.
            return try await session.run(body)
        }
    }

    public func version() async -> String? {
        guard let connection = try? await LibvirtConnection.open(uri) else { return nil }
        let text = await connection.versions()
        await connection.close()
        return text
    }

    /// `avps-<target>-<workspace suffix>`: names the target (tests and `ps` find it) and stays unique
    /// when two runs examine the same target on one libvirtd.
    static func domainName(_ target: TargetSpec, workspace: URL) -> String {
        let suffix = workspace.lastPathComponent.replacingOccurrences(of: "avps-", with: "")
        // A system's VM is `<system>/<vm>`; libvirt refuses '/' in a domain name.
        return "avps-\(target.name.replacingOccurrences(of: "/", with: "-"))-\(suffix)"
    }
}

/// Files a libvirt guest needs before it starts: sparse disk images and 9p share directories.
enum LibvirtWorkspace {
    static func populate(_ launch: PreparedLaunch) throws(HypervisorError) {
        let workspace = launch.workspace.path
        for (index, device) in launch.target.devices.enumerated() {
            if case .ninep = device {
                try? FileManager.default.createDirectory(atPath: LibvirtDomainXML.sharePath(index, workspace: workspace),
                                                         withIntermediateDirectories: true)
            }
            guard let sizeMiB = device.blockSizeMiB else { continue }
            let path = LibvirtDomainXML.diskPath(index, workspace: workspace)
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else { throw .workspace("cannot create disk image \(path)") }
            defer { try? handle.close() }
            do {
                try handle.truncate(atOffset: UInt64(sizeMiB) << 20)  // sparse
            } catch {
                throw .workspace("cannot size disk image \(path): \(error)")
            }
        }
    }
}
