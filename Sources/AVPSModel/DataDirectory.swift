/// Where avps's shipped data lives: profiles, suites, the agent's sources and prebuilt agents.
///
/// avps runs in two layouts, and every lookup of shipped data goes through this one type so the
/// two never drift apart:
/// - a **checkout** (the repository: `Profiles/`, `Suites/`, `Sources/avps-agent/`), found above the
///   working directory or above the executable (`.build/debug/avps`);
/// - an **installation** (`<prefix>/bin/avps` with `<prefix>/share/avps/{Profiles,Suites,agent}`),
///   found next to the executable, so an installed avps works from any directory.
///
/// `$AVPS_HOME` names either layout explicitly and wins. The lookup itself takes the file system as
/// a closure, so it stays a pure function that tests can drive with a table of paths.
public struct DataDirectory: Sendable, Equatable {
    public enum Layout: String, Sendable, Equatable {
        case checkout
        case installed
    }

    public let root: String
    public let layout: Layout

    public init(root: String, layout: Layout) {
        self.root = root
        self.layout = layout
    }

    public var profiles: String { root + "/Profiles" }
    public var suites: String { root + "/Suites" }
    /// The agent's C sources (and PROTOCOL.md).
    public var agentSource: String { layout == .checkout ? root + "/Sources/avps-agent" : root + "/agent" }

    /// The static agent an installation ships for `architecture` (an installed machine need not
    /// have a compiler or a cross compiler); a checkout builds its agents from source instead.
    public func prebuiltAgent(for architecture: GuestArchitecture) -> String? {
        layout == .installed ? root + "/agent/prebuilt/\(architecture.rawValue)/avps-agent" : nil
    }

    /// Where runs go when `--out` is not given: `Reports/runs` of a checkout; for an installation
    /// (whose share directory is not the user's to write) `Reports/runs` under the working directory.
    public func runsDirectory(workingDirectory: String) -> String {
        (layout == .checkout ? root : workingDirectory) + "/Reports/runs"
    }

    /// The installed share directory relative to an executable in `<prefix>/bin`.
    public static let shareSuffix = "share/avps"

    /// Finds the data directory, or nil when there is none (a bare binary copied somewhere).
    ///
    /// Order: `$AVPS_HOME`; a checkout at or above the working directory; an installation next to the
    /// executable (`<bin>/../share/avps`); a checkout at or above the executable.
    public static func locate(environment: [String: String], workingDirectory: String, executable: String?,
                              isDirectory: (String) -> Bool) -> DataDirectory? {
        func classify(_ path: String) -> DataDirectory? {
            guard isDirectory(path + "/Profiles"), isDirectory(path + "/Suites") else { return nil }
            return DataDirectory(root: path, layout: isDirectory(path + "/agent") && !isDirectory(path + "/Sources")
                                 ? .installed : .checkout)
        }
        func checkout(above start: String) -> DataDirectory? {
            var directory = normalized(start)
            for _ in 0..<8 {
                if let found = classify(directory), found.layout == .checkout { return found }
                let parent = parentOf(directory)
                if parent == directory { break }
                directory = parent
            }
            return nil
        }
        if let home = environment["AVPS_HOME"], !home.isEmpty, let found = classify(normalized(home)) {
            return found
        }
        if let found = checkout(above: workingDirectory) { return found }
        guard let executable, !executable.isEmpty else { return nil }
        let binDirectory = parentOf(normalized(executable))
        if let found = classify(parentOf(binDirectory) + "/" + shareSuffix) { return found }
        return checkout(above: binDirectory)
    }

    /// Removes `.`/`..` segments and repeated slashes; a relative path stays relative.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    static func parentOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
