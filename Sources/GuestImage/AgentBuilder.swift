import AVPSModel
import Foundation

/// Builds the in-guest agent (`Sources/avps-agent/*.c`) as one static binary for the guest's
/// architecture: the host's `cc` for x86_64, Debian's cross compiler `aarch64-linux-gnu-gcc` for
/// aarch64 (Swift cannot cross-compile here; C needs nothing but a static libc).
///
/// Static, because the reference initramfs has no libc and vendor guests have an unknown one.
/// Cached under `<cache>/agents/<sha256>/avps-agent`, where the key covers every `.c`/`.h` file
/// (name and content), the exact compiler command and the compiler's version line: changing any
/// of them rebuilds, nothing else does.
struct AgentBuilder: Sendable {
    let cacheRoot: URL
    let progress: @Sendable (String) -> Void
    var architecture: GuestArchitecture = AptSetup.hostArchitecture

    /// The compiler for the guest's architecture.
    var compiler: HostTool {
        architecture == AptSetup.hostArchitecture ? .cc
            : HostTool(name: "\(architecture.rawValue)-linux-gnu-gcc",
                       installHint: "install the cross compiler: apt-get install gcc-\(architecture.rawValue.replacingOccurrences(of: "_", with: "-"))-linux-gnu libc6-dev-\(architecture.debianName)-cross")
    }

    /// Flags are part of the cache key; keep them in one place.
    static let compilerFlags = ["-std=c11", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"]

    struct Built: Sendable {
        var binary: URL
        var sha256: String
    }

    /// Where the agent for a guest comes from.
    enum Origin: Equatable {
        /// C sources to compile (and cache) for the guest's architecture.
        case source(URL)
        /// A static agent an installation ships (no compiler needed on the user's machine).
        case prebuilt(URL)
    }

    /// Finds the agent: explicit source input, `$AVPS_AGENT_SOURCE`, then avps's data directory
    /// (`DataDirectory`): an installation's prebuilt agent for `architecture`, else the agent sources
    /// of the checkout or installation.
    static func locate(explicit: URL?, architecture: GuestArchitecture,
                       environment: [String: String] = ProcessInfo.processInfo.environment,
                       data: DataDirectory? = DataDirectory.current) throws(GuestImageError) -> Origin {
        if let explicit {
            guard CacheFiles.isDirectory(explicit) else {
                throw .kernelInputInvalid(path: explicit.path, reason: "agent source directory does not exist")
            }
            return .source(explicit)
        }
        if let fromEnv = environment["AVPS_AGENT_SOURCE"], !fromEnv.isEmpty {
            let url = URL(fileURLWithPath: fromEnv, isDirectory: true)
            guard CacheFiles.isDirectory(url) else {
                throw .kernelInputInvalid(path: url.path, reason: "AVPS_AGENT_SOURCE does not name a directory")
            }
            return .source(url)
        }
        guard let data else {
            throw .agentSourceNotFound(searched: ["$AVPS_HOME, a checkout above the working directory, "
                + "<bin>/../\(DataDirectory.shareSuffix) next to the executable"])
        }
        if let prebuilt = data.prebuiltAgent(for: architecture), CacheFiles.fileExists(URL(fileURLWithPath: prebuilt)) {
            return .prebuilt(URL(fileURLWithPath: prebuilt))
        }
        let source = URL(fileURLWithPath: data.agentSource, isDirectory: true)
        guard CacheFiles.isDirectory(source) else { throw .agentSourceNotFound(searched: [source.path]) }
        return .source(source)
    }

    /// The agent for this builder's architecture from wherever `origin` says.
    func agent(from origin: Origin) async throws(GuestImageError) -> Built {
        switch origin {
        case let .source(directory):
            return try await build(sourceDirectory: directory)
        case let .prebuilt(binary):
            if let problem = ELFCheck.staticExecutableProblem(binary, machine: architecture.elfMachine) {
                throw .agentCompileFailed(sourceDirectory: binary.path, diagnostics: "prebuilt agent is not usable: \(problem)")
            }
            return Built(binary: binary, sha256: try CacheFiles.sha256(of: binary))
        }
    }

    /// Returns the cached binary for `sourceDirectory`, compiling it if the key is new.
    func build(sourceDirectory: URL) async throws(GuestImageError) -> Built {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: sourceDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }
            .sorted()
        let cFiles = names.filter { $0.hasSuffix(".c") }
        guard !cFiles.isEmpty else {
            throw .kernelInputInvalid(path: sourceDirectory.path, reason: "no .c files in the agent source directory")
        }
        let compilerVersion = try await compiler.check(["--version"]).stdout
            .split(separator: "\n").first.map(String.init) ?? "unknown"
        var manifest = "avps-agent v1 \(architecture.rawValue)\n\(compiler.name) \(Self.compilerFlags.joined(separator: " "))\n\(compilerVersion)\n"
        for name in names {
            manifest += "\(name) \(try CacheFiles.sha256(of: sourceDirectory.appendingPathComponent(name)))\n"
        }
        let key = CacheFiles.sha256(manifest)
        let agents = cacheRoot.appendingPathComponent("agents", isDirectory: true)
        let entry = agents.appendingPathComponent(key, isDirectory: true)
        let binary = entry.appendingPathComponent("avps-agent")
        if CacheFiles.fileExists(binary) {
            return Built(binary: binary, sha256: try CacheFiles.sha256(of: binary))
        }

        progress("compiling avps-agent from \(sourceDirectory.path)")
        CacheFiles.sweepStaleTemporaries(in: agents)
        let scratch = try CacheFiles.makeTemporaryDirectory(in: agents)
        defer { CacheFiles.remove(scratch) }
        let output = scratch.appendingPathComponent("avps-agent")
        let arguments = Self.compilerFlags + ["-o", output.path]
            + cFiles.map { sourceDirectory.appendingPathComponent($0).path }
        let result = try await compiler.capture(arguments)
        guard result.succeeded, CacheFiles.fileExists(output) else {
            throw .agentCompileFailed(sourceDirectory: sourceDirectory.path,
                                      diagnostics: HostTool.tail(result.stderr + result.stdout, lines: 60))
        }
        if let problem = ELFCheck.staticExecutableProblem(output, machine: architecture.elfMachine) {
            throw .agentCompileFailed(sourceDirectory: sourceDirectory.path, diagnostics: "output is not usable: \(problem)")
        }
        try CacheFiles.writeAtomically(Data(manifest.utf8), to: scratch.appendingPathComponent("key.txt"))
        try CacheFiles.publish(scratch, as: entry)
        return Built(binary: binary, sha256: try CacheFiles.sha256(of: binary))
    }
}
