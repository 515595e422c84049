import AVPSModel
import Foundation

/// A vendor initramfs with the agent appended as a second cpio archive (Linux unpacks concatenated
/// archives, compressed or not, in order). The vendor's `/init` is untouched: the kernel command
/// line gets `rdinit=/avps-init`, a wrapper that mounts what the agent reads, starts the agent in
/// the background and `exec`s the vendor's `/init`.
///
/// For images that stay in their initramfs (embedded busybox systems). An image that switches to a
/// root file system leaves the agent behind in the old root; inject into the root file system
/// instead (`RootfsInjector`).
enum InitramfsOverlay {
    static let wrapperPath = "/avps-init"
    static let kernelParameter = "rdinit=\(wrapperPath)"

    static let wrapper = """
        #!/bin/sh
        # Added by `avps guest inject --initramfs`: start the avps agent beside the vendor's /init.
        [ -d /proc/self ] || mount -t proc proc /proc
        [ -d /sys/class ] || mount -t sysfs sysfs /sys
        [ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
        /sbin/avps-agent </dev/null >/dev/console 2>&1 &
        exec /init "$@"

        """

    static func overlay(agent: Data) -> Data {
        var archive = CPIOArchive()
        archive.addDirectory("sbin")
        archive.addFile("sbin/avps-agent", contents: agent, permissions: 0o755)
        archive.addFile(String(wrapperPath.dropFirst()), contents: Data(wrapper.utf8), permissions: 0o755)
        return archive.serialized()
    }

    /// `vendor` padded to a 4-byte boundary, then the overlay.
    static func combine(vendor: Data, agent: Data) -> Data {
        var combined = vendor
        if combined.count % 4 != 0 { combined.append(Data(count: 4 - combined.count % 4)) }
        combined.append(overlay(agent: agent))
        return combined
    }
}

extension GuestImageBuilder {
    /// Writes the agent, its systemd unit and SysV script into a vendor root file system (a
    /// directory or a raw ext4 image); returns the paths written inside it.
    public func injectAgent(intoRootfs root: URL, architecture: GuestArchitecture, agentSource: URL?,
                            cacheRoot: URL, plan: Data? = nil) async throws(GuestImageError) -> [String] {
        let agent = try await self.agent(architecture: architecture, agentSource: agentSource, cacheRoot: cacheRoot)
        let files = AgentInjection.files(agent: try CacheFiles.read(agent.binary), plan: plan)
        try await RootfsInjector().inject(files, into: root)
        return files.map(\.path)
    }

    /// Writes `output`: the vendor initramfs `input` with the agent overlay appended. Returns the
    /// kernel parameter that starts it (`rdinit=/avps-init`).
    public func overlayInitramfs(_ input: URL, output: URL, architecture: GuestArchitecture, agentSource: URL?,
                                 cacheRoot: URL, plan: Data? = nil) async throws(GuestImageError) -> String {
        let agent = try await self.agent(architecture: architecture, agentSource: agentSource, cacheRoot: cacheRoot)
        let vendor = try CacheFiles.read(input)
        var combined = InitramfsOverlay.combine(vendor: vendor, agent: try CacheFiles.read(agent.binary))
        if let plan { combined = AutonomousPlanFile.appended(to: combined, plan: plan) }
        try CacheFiles.writeAtomically(combined, to: output)
        return InitramfsOverlay.kernelParameter
    }
}
