import AVPSModel
import Foundation

/// Loads requirement profiles (`Profiles/*.yaml`, schema in `Profiles/README.md`), resolving
/// `extends:` overlays.
///
/// Strict on purpose: unknown fields, missing fields, wrong types, unknown devices, features or
/// config fields, duplicate keys and broken `extends` chains are all errors, because a typo in a
/// profile would otherwise turn into a check that silently measures the wrong thing on every target.
public enum ProfileLoader {
    /// Loads and resolves a profile file; throws the first problem found.
    public static func load(contentsOf url: URL) throws(LoadError) -> Profile {
        let (profile, errors) = diagnose(contentsOf: url)
        if let first = errors.first { throw first }
        guard let profile else { throw LoadError(file: url.relativePath, line: 0, field: "", message: "profile did not load") }
        return profile
    }

    /// `file` labels errors; an `extends:` name is looked up relative to `file`'s directory.
    public static func load(yaml: String, file: String) throws(LoadError) -> Profile {
        var diagnostics = Diagnostics()
        let root = try YAMLDocument.root(yaml: yaml, file: file)
        let url = URL(fileURLWithPath: file)
        let profile = ProfileResolver.resolve(root, directory: url.deletingLastPathComponent(),
                                              chain: [ProfileLocation.identity(url)], into: &diagnostics)
        if let first = diagnostics.errors.first { throw first }
        guard let profile else { throw LoadError(file: file, line: 0, field: "", message: "profile did not load") }
        return profile
    }

    /// Every problem of a file (for `avps profile lint`), and the profile when there were none.
    public static func diagnose(contentsOf url: URL) -> (profile: Profile?, errors: [LoadError]) {
        var diagnostics = Diagnostics()
        let profile = ProfileResolver.resolve(url, into: &diagnostics)
        return (diagnostics.isEmpty ? profile : nil, diagnostics.errors)
    }
}
