import AVPSModel
import Foundation

/// Where the base named by `extends:` lives.
///
/// A value with a `/` or a `.yaml`/`.yml` suffix is a path relative to the extending file. A
/// bare name (`avps-2.0`) is looked up as `<name>.yaml` next to the extending file, then in the
/// nearest `Profiles/` directory above it, above the working directory, and in avps's own data
/// directory (`$AVPS_HOME`, the checkout, or the installed share: `DataDirectory`), so a vendor
/// overlay kept anywhere can extend the shipped profiles by name.
enum ProfileLocation {
    static func candidates(for name: String, from directory: URL) -> [URL] {
        if name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            return [name.hasPrefix("/") ? URL(fileURLWithPath: name) : directory.appendingPathComponent(name)]
        }
        let file = "\(name).yaml"
        var result = [directory.appendingPathComponent(file)]
        let starts = [directory, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var current = start.standardizedFileURL
            for _ in 0..<8 {
                result.append(current.appendingPathComponent("Profiles").appendingPathComponent(file))
                let parent = current.deletingLastPathComponent()
                if parent.path == current.path { break }
                current = parent
            }
        }
        if let shipped = DataDirectory.current {
            result.append(URL(fileURLWithPath: shipped.profiles).appendingPathComponent(file))
        }
        var seen: Set<String> = []
        return result.map(\.standardizedFileURL).filter { seen.insert($0.path).inserted }
    }

    /// The first candidate that exists, or nil.
    static func find(_ name: String, from directory: URL) -> URL? {
        candidates(for: name, from: directory).first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// A file's identity for cycle detection: absolute, with symbolic links resolved.
    static func identity(_ url: URL) -> String {
        url.standardizedFileURL.resolvingSymlinksInPath().path
    }
}
