import AVPSModel
import AVPSProfiles
import Crypto
import Foundation

/// A profile together with where it came from and a hash of its exact text.
public struct LoadedProfile: Sendable {
    public var profile: Profile
    public var reference: ProfileReference

    public init(profile: Profile, reference: ProfileReference) {
        self.profile = profile
        self.reference = reference
    }

    /// Loads and validates a profile file; errors name file, line and field.
    public static func load(_ url: URL, displayPath: String? = nil) throws -> LoadedProfile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunnerError.usage("cannot read profile \(url.path): \(error.localizedDescription)")
        }
        let profile = try ProfileLoader.load(contentsOf: url)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return LoadedProfile(profile: profile, reference: ProfileReference(
            id: profile.id, path: displayPath ?? url.path, sha256: digest, version: profile.version))
    }
}
