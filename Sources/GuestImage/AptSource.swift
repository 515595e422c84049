import AVPSModel
import Foundation

/// Which apt configuration answers `apt-cache` and `apt-get download`: the host's own, or avps's
/// private one for Debian bookworm-backports.
///
/// The private configuration lives entirely under `<cache>/apt/<suite>/` (its own sources.list,
/// package lists, archive cache and an empty dpkg status), so avps never touches the host's apt
/// sources and never installs anything: it only downloads .deb files and unpacks them.
public struct AptSource: Sendable, Equatable {
    /// `system` or the Debian suite name, part of cache keys.
    public var name: String
    /// `-o` options prepended to every apt-get / apt-cache call.
    var options: [String]
    /// Files and directories whose state determines apt's answers (see `AptResolutionCache`).
    var fingerprintInputs: [String]
    /// Private configuration directory; nil for the host's configuration.
    var directory: URL?

    public static let system = AptSource(name: "system", options: [], fingerprintInputs: AptResolutionCache.aptInputs)

    /// Debian's mirror and archive key, as the host's own Debian sources use them.
    static let mirror = "http://deb.debian.org/debian"
    static let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

    /// The private configuration for `suite` (default bookworm-backports) under `cacheRoot`.
    public static func debian(_ suite: String = "bookworm-backports", cacheRoot: URL) -> AptSource {
        let root = cacheRoot.appendingPathComponent("apt/\(suite)", isDirectory: true)
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let options = [
            "Dir::Etc::SourceList=\(path("sources.list"))", "Dir::Etc::SourceParts=\(path("empty"))",
            "Dir::Etc::Preferences=\(path("empty/preferences"))", "Dir::Etc::PreferencesParts=\(path("empty"))",
            "Dir::State::Lists=\(path("lists"))", "Dir::Cache=\(path("cache"))",
            // An empty status file: the host's installed QEMU must not shadow the backports candidate.
            "Dir::State::status=\(path("status"))",
            // The cache belongs to the invoking user; apt's _apt sandbox user cannot write there.
            "APT::Sandbox::User=root",
        ].flatMap { ["-o", $0] }
        return AptSource(name: suite, options: options, fingerprintInputs: [path("lists"), path("sources.list")],
                         directory: root)
    }

    /// The apt source for a package origin.
    public static func of(_ origin: PackageOrigin, cacheRoot: URL) -> AptSource {
        switch origin {
        case .system: .system
        case .backports: .debian(cacheRoot: cacheRoot)
        }
    }

    /// Lists older than this are refreshed (backports publishes security fixes as new versions).
    static let listsMaxAge: TimeInterval = 24 * 3600

    /// Writes the private configuration and downloads its package lists when they are missing or
    /// older than a day. A failed refresh with lists still present carries on with them (offline
    /// runs work from the cache); without lists it is an error naming apt's complaint.
    func ready(progress: @Sendable (String) -> Void) async throws(GuestImageError) {
        guard let directory else { return }
        let suite = name
        try CacheFiles.createDirectory(directory.appendingPathComponent("empty", isDirectory: true))
        try CacheFiles.createDirectory(directory.appendingPathComponent("lists/partial", isDirectory: true))
        try CacheFiles.createDirectory(directory.appendingPathComponent("cache/archives/partial", isDirectory: true))
        let sources = Data("deb [signed-by=\(Self.keyring)] \(Self.mirror) \(suite) main\n".utf8)
        let sourcesURL = directory.appendingPathComponent("sources.list")
        if (try? Data(contentsOf: sourcesURL)) != sources { try CacheFiles.writeAtomically(sources, to: sourcesURL) }
        let status = directory.appendingPathComponent("status")
        if !CacheFiles.fileExists(status) { try CacheFiles.writeAtomically(Data(), to: status) }
        let stamp = directory.appendingPathComponent("updated")
        let hadLists = hasLists()
        if hadLists, let age = Self.age(of: stamp), age < Self.listsMaxAge { return }
        progress("apt-get update (private configuration for \(suite))")
        let out = try await HostTool.aptGet.capture(options + ["update"])
        if out.succeeded, hasLists() {
            try CacheFiles.writeAtomically(Data(), to: stamp)
            return
        }
        guard hadLists else {
            throw .commandFailed(command: "apt-get update (\(suite), configuration in \(directory.path))",
                                 status: "\(out.status)", output: HostTool.tail(out.stderr + out.stdout))
        }
        progress("note: apt-get update for \(suite) failed; using the package lists downloaded before")
    }

    private func hasLists() -> Bool {
        guard let directory else { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("lists").path)) ?? []
        return names.contains { $0.contains("_Packages") }
    }

    private static func age(of url: URL) -> TimeInterval? {
        let date = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        return date.map { Date().timeIntervalSince($0) }
    }
}
