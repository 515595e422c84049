import Foundation

/// Which artifact paths the reports turn into links or CI attachments.
///
/// Artifact paths are meant to be relative to the run directory, where the reports live. A
/// results.json can come from anywhere (a vendor's bundle, a hand edit), so a path that is not
/// plainly relative (absolute, protocol-relative, with a scheme such as `javascript:` or
/// `https:`, with backslashes or control characters) is shown as text and never linked or attached.
enum ArtifactPaths {
    static func isRunRelative(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"),
              path.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }),
              let first = path.split(separator: "/", omittingEmptySubsequences: false).first
        else { return false }
        return !first.contains(":")
    }

    /// The percent-encoded href for a run-relative path, or nil when it is not one.
    static func href(_ path: String) -> String? {
        guard isRunRelative(path) else { return nil }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#;")
        return path.addingPercentEncoding(withAllowedCharacters: allowed)
    }
}
