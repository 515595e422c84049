import ArgumentParser
import Foundation
import GuestImage

/// `avps guest ...`: manage the reference guest (Debian kernel + initramfs with the avps agent).
public struct GuestCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Build the reference guest (kernel + initramfs with the avps agent).",
        subcommands: [Build.self]
    )

    public init() {}

    /// `avps guest build`: builds or finds in the cache, then prints paths and hashes.
    /// Exit status 2: bad input (paths, agent does not compile); 3: host problem (apt, cc, busybox).
    public struct Build: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Build the reference guest and print the kernel and initrd paths and SHA-256 hashes."
        )

        @Option(help: ArgumentHelp("Kernel image to use instead of Debian's package (needs --modules).", valueName: "path"))
        var kernel: String?

        @Option(help: ArgumentHelp("lib/modules/<release> directory (with modules.dep) matching --kernel.", valueName: "dir"))
        var modules: String?

        @Option(help: "Debian kernel package to download (a metapackage is followed).")
        var kernelPackage: String = "linux-image-amd64"

        @Option(help: ArgumentHelp("Agent sources (default: $AVPS_AGENT_SOURCE, then Sources/avps-agent above the working directory).", valueName: "dir"))
        var agentSource: String?

        @Option(help: ArgumentHelp("Cache directory (default: $AVPS_CACHE or ~/.cache/avps).", valueName: "dir"))
        var cache: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        public init() {}

        public func run() async throws {
            let request = GuestImageRequest(
                kernelPackage: kernelPackage,
                kernel: kernel.map { URL(fileURLWithPath: $0) },
                modules: modules.map { URL(fileURLWithPath: $0, isDirectory: true) },
                agentSource: agentSource.map { URL(fileURLWithPath: $0, isDirectory: true) },
                cacheRoot: cache.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? GuestImageBuilder.defaultCacheRoot()
            )
            let builder = GuestImageBuilder(progress: { Self.printError("avps: \($0)") })
            let guest: ReferenceGuest
            do {
                guest = try await builder.build(request)
            } catch {
                Self.printError("avps guest build: error: \(error.description)")
                throw ExitCode(error.kind == .badInput ? 2 : 3)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = (try? encoder.encode(guest)) ?? Data()
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("kernel:         \(guest.kernel.path)")
            print("kernel sha256:  \(guest.kernelSHA256)")
            print("kernel source:  \(guest.kernelSource) (release \(guest.kernelRelease))")
            print("initrd:         \(guest.initrd.path)")
            print("initrd sha256:  \(guest.initrdSHA256)")
            print("agent sha256:   \(guest.agentSHA256)")
            print("modules:        \(guest.modules.joined(separator: " "))")
            if !guest.skippedModules.isEmpty {
                print("not modules:    \(guest.skippedModules.joined(separator: " ")) (built in or absent)")
            }
            print("command line:   \(guest.baseCommandLine)")
        }

        static func printError(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
