import AVPSModel
import Foundation

/// Finds the directory that holds `Suites/` and `Profiles/` (a checkout or an installation, see
/// `DataDirectory`), so `avps run` works with no arguments from the checkout, from `ci/`, through the
/// built binary, or installed, from any directory.
enum ProjectLocator {
    /// The checkout or installed share directory (`DataDirectory`), as a URL.
    static func root() -> URL? {
        DataDirectory.current.map { URL(fileURLWithPath: $0.root, isDirectory: true) }
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
