import AVPSModel
import Foundation
import VhostUserVsock

/// The channel a launch uses to reach the agent, decided at plan time and recorded in results.
public enum AgentChannelChoice: Sendable, Equatable {
    /// The host kernel's vhost-vsock (`/dev/vhost-vsock`) with a host-wide unique CID.
    case kernelVsock(cid: UInt32)
    /// Our own vhost-user-vsock backend (`avps vsockd`), CID 3 in its private namespace.
    case userVsock(backend: String)
    /// The virtio-serial port `org.avps.agent.0`; `reason` says why not vsock.
    case virtioSerial(reason: String)

    /// Short name for results (`host_observations.agent_channel`).
    public var name: String {
        switch self {
        case .kernelVsock: "vsock-kernel"
        case .userVsock: "vsock-user"
        case .virtioSerial: "virtio-serial"
        }
    }

    public var isVsock: Bool {
        if case .virtioSerial = self { return false }
        return true
    }

    /// The guest CID the agent is reachable at.
    public var guestCID: UInt32 {
        if case .kernelVsock(let cid) = self { return cid }
        return 3
    }
}

/// Picks the agent channel. Pure, so the policy is unit-tested without the devices it asks about.
public enum AgentChannelSelector {
    /// What the host offers, measured by `HostVsockSupport.probe()`.
    public struct HostSupport: Sendable, Equatable {
        public var kernelVhostVsock: Bool
        /// The `avps` executable that runs `avps vsockd`, when one was found.
        public var backendExecutable: String?

        public init(kernelVhostVsock: Bool, backendExecutable: String?) {
            self.kernelVhostVsock = kernelVhostVsock
            self.backendExecutable = backendExecutable
        }
    }

    /// The kind of channel to use (a kernel CID is allocated later, only when chosen).
    public enum Kind: Sendable, Equatable {
        case kernelVsock
        case userVsock(backend: String)
        case virtioSerial(reason: String)
    }

    public static func choose(_ requested: AgentChannelKind, host: HostSupport) throws(HypervisorError) -> Kind {
        switch requested {
        case .virtioSerial:
            return .virtioSerial(reason: "the target asks for virtio-serial")
        case .auto, .vsock:
            if host.kernelVhostVsock { return .kernelVsock }
            if let backend = host.backendExecutable { return .userVsock(backend: backend) }
            let why = "no /dev/vhost-vsock and no avps executable to run the vsock backend (set AVPS_VSOCKD)"
            if requested == .vsock { throw .unsupported("agent_channel vsock: \(why)") }
            return .virtioSerial(reason: why)
        }
    }
}

/// Looks at this host: `/dev/vhost-vsock`, and an `avps` binary for `avps vsockd`.
/// `AVPS_VSOCK=user` leaves the kernel's vhost-vsock aside and always uses avps's own backend
/// (what `avps lava export` plans with: a LAVA worker's QEMU gets the backend the job starts).
public enum HostVsockSupport {
    public static func probe() -> AgentChannelSelector.HostSupport {
        let userOnly = ProcessInfo.processInfo.environment["AVPS_VSOCK"] == "user"
        return AgentChannelSelector.HostSupport(
            kernelVhostVsock: !userOnly && FileManager.default.isWritableFile(atPath: "/dev/vhost-vsock"),
            backendExecutable: backendExecutable())
    }

    /// `$AVPS_VSOCKD`, else this process when it is `avps`, else `avps` beside this executable
    /// (the test bundle sits beside it in `.build/debug`), else `avps` on PATH.
    package static func backendExecutable() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["AVPS_VSOCKD"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let ownURL = URL(fileURLWithPath: own)
        if ownURL.lastPathComponent == "avps" { return own }
        let sibling = ownURL.deletingLastPathComponent().appendingPathComponent("avps").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        return ExecutableLookup.find("avps")
    }
}

/// Allocates a guest CID for kernel vhost-vsock, unique on this host: under an exclusive lock on
/// a host-wide lock file, it skips CIDs leased by live processes and CIDs the kernel reports in
/// use (EADDRINUSE), then leases the first free one until `release`.
public enum KernelCIDAllocator {
    package static let directory = "/tmp/avps-vsock-cids"

    public static func allocate(range: ClosedRange<UInt32> = 3...1026) throws(HypervisorError) -> UInt32 {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = open("\(directory)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw .workspace("cannot open the CID lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }  // closing releases the lock
        guard flock(lock, LOCK_EX) == 0 else { throw .workspace("cannot lock the CID registry") }
        for cid in range {
            let lease = "\(directory)/\(cid)"
            if let owner = (try? String(contentsOfFile: lease, encoding: .utf8)).flatMap({ Int32($0) }),
               kill(owner, 0) == 0 || errno == EPERM { continue }
            if KernelVsock.probeCID(UInt64(cid)) == EADDRINUSE { continue }
            guard FileManager.default.createFile(atPath: lease, contents: Data("\(getpid())".utf8)) else { continue }
            return cid
        }
        throw .workspace("no free vsock CID in \(range)")
    }

    public static func release(_ cid: UInt32) {
        try? FileManager.default.removeItem(atPath: "\(directory)/\(cid)")
    }
}
