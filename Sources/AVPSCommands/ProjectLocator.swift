import Foundation

/// Finds the project directory that holds `Suites/` and `Profiles/`, so `avps run` works with no
/// arguments from the checkout, from `ci/`, or through the built binary.
enum ProjectLocator {
    static func root() -> URL? {
        var candidates: [URL] = []
        if let home = ProcessInfo.processInfo.environment["AVPS_HOME"], !home.isEmpty {
            candidates.append(URL(fileURLWithPath: home))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        candidates.append(URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent())
        for start in candidates {
            var directory = start.standardizedFileURL
            for _ in 0..<8 {
                if isProject(directory) { return directory }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        return nil
    }

    private static func isProject(_ directory: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: directory.appendingPathComponent("Suites").path)
            && manager.fileExists(atPath: directory.appendingPathComponent("Profiles").path)
    }

    /// A profile argument is a path when it names an existing file or ends in .yaml; otherwise it is
    /// a name under `Profiles/`.
    static func profileURL(_ nameOrPath: String, root: URL?) -> URL {
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") {
            return URL(fileURLWithPath: nameOrPath)
        }
        let base = root ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return base.appendingPathComponent("Profiles").appendingPathComponent("\(nameOrPath).yaml")
    }
}
