import ArgumentParser
import Foundation
import GuestImage

/// `avps guest ...`: manage the reference guest (Debian kernel + initramfs with the avps agent).
struct GuestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Build the reference guest (kernel + initramfs with the avps agent).",
        subcommands: [Build.self, Agent.self, Inject.self, Plan.self]
    )

    /// `avps guest build`: builds or finds in the cache, then prints paths and hashes.
    /// Exit status 2: bad input (paths, agent does not compile); 3: host problem (apt, cc, busybox).
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Build the reference guest and print the kernel and initrd paths and SHA-256 hashes."
        )

        @OptionGroup var guest: GuestOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let built: ReferenceGuest
            do {
                built = try await guest.build()
            } catch {
                throw ExitCode(ErrorReporting.report(error).rawValue)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = (try? encoder.encode(built)) ?? Data()
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("kernel:         \(built.kernel.path)")
            print("kernel sha256:  \(built.kernelSHA256)")
            print("kernel source:  \(built.kernelSource) (release \(built.kernelRelease))")
            print("initrd:         \(built.initrd.path)")
            print("initrd sha256:  \(built.initrdSHA256)")
            print("agent sha256:   \(built.agentSHA256)")
            print("modules:        \(built.modules.joined(separator: " "))")
            if !built.skippedModules.isEmpty {
                print("not modules:    \(built.skippedModules.joined(separator: " ")) (built in or absent)")
            }
            print("command line:   \(built.baseCommandLine)")
        }
    }
}
