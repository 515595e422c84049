import AVPSModel
import Foundation

/// apt for a Debian architecture other than the host's, without touching the system's apt:
/// own sources, package lists, cache and an empty dpkg status under `<cache>/apt/<arch>/`,
/// passed to `apt-get`/`apt-cache` as `-o` options. Packages are only downloaded and unpacked,
/// never installed.
///
/// The sources are Debian's own mirror for the host's release (main, -updates, -security), so a
/// foreign-architecture guest gets the same kernel version the host's apt would pick.
struct AptSetup: Sendable {
    /// `-o` options to put before the apt command; empty for the host's own architecture.
    let arguments: [String]
    /// Files and directories whose state decides apt's answers (for `AptResolutionCache`).
    let fingerprintRoots: [String]

    static let host = AptSetup(arguments: [], fingerprintRoots: AptResolutionCache.aptInputs)

    /// The setup for `arch`: the host's apt when it is the host's architecture, else a private one
    /// whose package lists are downloaded once (`apt-get update`) and reused from the cache.
    static func forArchitecture(_ arch: GuestArchitecture, cacheRoot: URL,
                                progress: @Sendable (String) -> Void) async throws(GuestImageError) -> AptSetup {
        if arch == hostArchitecture { return .host }
        let root = cacheRoot.appendingPathComponent("apt/\(arch.debianName)", isDirectory: true)
        let setup = AptSetup(arguments: options(arch, root: root),
                             fingerprintRoots: [root.appendingPathComponent("lists").path,
                                                root.appendingPathComponent("sources.list.d").path])
        try setup.prepare(arch, root: root)
        if !setup.hasFreshLists(root) {
            progress("downloading Debian \(arch.debianName) package lists into \(root.path)")
            try await HostTool.aptGet.check(setup.arguments + ["update", "-q"])
            try CacheFiles.writeAtomically(Data(), to: root.appendingPathComponent(updateStamp))
        }
        return setup
    }

    static var hostArchitecture: GuestArchitecture {
        #if arch(arm64)
        .aarch64
        #else
        .x86_64
        #endif
    }

    private static func options(_ arch: GuestArchitecture, root: URL) -> [String] {
        let settings = [
            "APT::Architecture=\(arch.debianName)", "APT::Architectures=\(arch.debianName)",
            "Dir::State::Lists=\(root.path)/lists", "Dir::Cache=\(root.path)/cache",
            "Dir::State::status=\(root.path)/status", "Dir::Etc::SourceList=/dev/null",
            "Dir::Etc::SourceParts=\(root.path)/sources.list.d", "Dir::Etc::Preferences=/dev/null",
            "Dir::Etc::PreferencesParts=\(root.path)/preferences.d", "Acquire::Languages=none",
        ]
        return settings.flatMap { ["-o", $0] }
    }

    /// Writes the private sources and the directories apt expects (idempotent).
    private func prepare(_ arch: GuestArchitecture, root: URL) throws(GuestImageError) {
        for sub in ["lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d"] {
            try CacheFiles.createDirectory(root.appendingPathComponent(sub, isDirectory: true))
        }
        let status = root.appendingPathComponent("status")
        if !CacheFiles.fileExists(status) { try CacheFiles.writeAtomically(Data(), to: status) }
        let release = Self.hostRelease()
        let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        let sources = """
            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: \(release) \(release)-updates
            Components: main
            Architectures: \(arch.debianName)
            Signed-By: \(keyring)

            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: \(release)-security
            Components: main
            Architectures: \(arch.debianName)
            Signed-By: \(keyring)

            """
        let file = root.appendingPathComponent("sources.list.d/debian.sources")
        if (try? String(contentsOf: file, encoding: .utf8)) != sources {
            try CacheFiles.writeAtomically(Data(sources.utf8), to: file)
        }
    }

    /// Written after each successful `apt-get update` (apt keeps the server's dates on the lists).
    private static let updateStamp = "updated.stamp"

    /// Lists fetched less than a day ago: Debian drops superseded kernel packages from the
    /// mirror, so lists kept forever would one day name a .deb that no longer downloads.
    private func hasFreshLists(_ root: URL, maxAge: TimeInterval = 86_400) -> Bool {
        let stamp = root.appendingPathComponent(Self.updateStamp).path
        guard let updated = (try? FileManager.default.attributesOfItem(atPath: stamp))?[.modificationDate] as? Date else {
            return false
        }
        return Date().timeIntervalSince(updated) < maxAge
    }

    /// `VERSION_CODENAME` of the host's /etc/os-release (the release the host's apt tracks).
    static func hostRelease(osRelease: String = "/etc/os-release") -> String {
        let text = (try? String(contentsOfFile: osRelease, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("VERSION_CODENAME=") {
            let value = line.dropFirst("VERSION_CODENAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            if !value.isEmpty { return value }
        }
        return "bookworm"
    }
}
