import Foundation

/// Remembers which concrete kernel package and version apt resolved a name to, for as long as
/// apt's inputs are unchanged.
///
/// Why: on Debian container images `Dir::Cache::pkgcache` is disabled, so every `apt-cache`
/// call re-parses all package lists (about 1-2 s each here); two calls per build made the "warm"
/// build take ~3 s. apt's answer depends only on the downloaded lists and the sources /
/// preferences configuration, so a fingerprint of their names, sizes and mtimes is a sound key:
/// after `apt-get update` the fingerprint changes and we ask apt again (and pick up a new
/// kernel ABI if Debian published one).
struct AptResolutionCache: Sendable {
    let directory: URL

    struct Record: Codable, Equatable {
        var requested: String
        var package: String
        var version: String
        var fingerprint: String
    }

    /// Directories and files whose state determines apt-cache's answer.
    static let aptInputs = ["/var/lib/apt/lists", "/etc/apt/sources.list", "/etc/apt/sources.list.d",
                            "/etc/apt/preferences", "/etc/apt/preferences.d"]

    /// SHA-256 over "path size mtime" of every apt input (directories: their direct children).
    static func fingerprint(roots: [String] = aptInputs) -> String {
        let fm = FileManager.default
        var lines: [String] = []
        for root in roots {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir) else { continue }
            let paths = isDir.boolValue
                ? ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted().map { "\(root)/\($0)" }
                : [root]
            for path in paths {
                guard let attributes = try? fm.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                let size = (attributes[.size] as? Int) ?? -1
                let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                lines.append("\(path) \(size) \(mtime)")
            }
        }
        return CacheFiles.sha256(lines.joined(separator: "\n"))
    }

    private func recordURL(for requested: String) -> URL {
        directory.appendingPathComponent("resolved-\(KernelProvider.safeName(requested)).json")
    }

    /// The remembered resolution, if apt's inputs have not changed since it was made.
    func lookup(_ requested: String, fingerprint: String) -> (package: String, version: String)? {
        guard let data = try? Data(contentsOf: recordURL(for: requested)),
              let record = try? JSONDecoder().decode(Record.self, from: data),
              record.requested == requested, record.fingerprint == fingerprint else { return nil }
        return (record.package, record.version)
    }

    /// Best effort: failing to remember only costs the next build an apt-cache call.
    func store(_ requested: String, package: String, version: String, fingerprint: String) {
        let record = Record(requested: requested, package: package, version: version, fingerprint: fingerprint)
        guard let data = try? JSONEncoder().encode(record) else { return }
        try? CacheFiles.writeAtomically(data, to: recordURL(for: requested))
    }
}
