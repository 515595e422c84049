import AVPSModel
import Foundation

extension GuestImageBuilder {
    /// The static agent alone, for `architecture`, built from `agentSource` (or found as
    /// `AgentBuilder.locate` finds it) and cached like the one a guest build uses.
    ///
    /// Packaging uses it so an installation ships agents compiled with exactly the flags a checkout
    /// uses, without repeating them in a script.
    public func agent(architecture: GuestArchitecture, agentSource: URL?,
                      cacheRoot: URL) async throws(GuestImageError) -> (binary: URL, sha256: String) {
        let built = try await AgentBuilder(cacheRoot: cacheRoot, progress: progress, architecture: architecture)
            .agent(from: AgentBuilder.locate(explicit: agentSource, architecture: architecture))
        return (built.binary, built.sha256)
    }
}
