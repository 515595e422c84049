import ArgumentParser
import Foundation
import GuestImage

extension GuestCommand {
    /// `avps guest inject`: the agent into a vendor's own guest image, so avps can score it.
    /// Exit status 2: bad input (not a directory, ext4 image or readable initramfs); 3: host problem.
    struct Inject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inject",
            abstract: "Put the avps agent into a vendor image: a root file system or an initramfs.",
            discussion: """
                --rootfs DIR|IMAGE: writes the static agent, a systemd unit (enabled for multi-user.target) \
                and a SysV init script into a directory or, in place, a raw ext4 image (debugfs, no mount).
                --initramfs IN --out OUT: appends the agent as a second cpio archive to IN and prints the \
                kernel parameter (rdinit=/avps-init) that starts it beside the vendor's own /init.
                """)

        @Option(help: "A root file system: a directory or a raw ext2/3/4 image (changed in place).")
        var rootfs: String?

        @Option(help: "A vendor initramfs (any compression) to extend with the agent.")
        var initramfs: String?

        @Option(help: "With --initramfs: where to write the extended initramfs.")
        var out: String?

        @Option(help: "An autonomous-mode plan (avps guest plan) to add as /etc/avps/plan.jsonl; boot with avps.autonomous.")
        var plan: String?

        @OptionGroup var guest: GuestOptions

        func validate() throws {
            guard (rootfs == nil) != (initramfs == nil) else { throw ValidationError("give exactly one of --rootfs and --initramfs") }
            if initramfs != nil && out == nil { throw ValidationError("--initramfs needs --out") }
        }

        func run() async throws {
            let builder = GuestImageBuilder(progress: { Console.info($0) })
            let source = guest.agentSource.map { URL(fileURLWithPath: $0, isDirectory: true) }
            do {
                let planData = try plan.map(Self.readPlan)
                if let rootfs {
                    let written = try await builder.injectAgent(intoRootfs: URL(fileURLWithPath: rootfs), architecture: guest.arch,
                                                                agentSource: source, cacheRoot: guest.cacheRoot, plan: planData)
                    print("agent \(guest.arch.rawValue) injected into \(rootfs):")
                    for path in written { print("  \(path)") }
                } else if let initramfs, let out {
                    let parameter = try await builder.overlayInitramfs(URL(fileURLWithPath: initramfs), output: URL(fileURLWithPath: out),
                                                                       architecture: guest.arch, agentSource: source,
                                                                       cacheRoot: guest.cacheRoot, plan: planData)
                    print("\(out): \(initramfs) plus the agent; boot it with the kernel parameter \(parameter)")
                }
            } catch {
                throw ExitCode(ErrorReporting.report(error).rawValue)
            }
        }

        /// The plan file, refused with its path when it cannot be read or is not a plan.
        static func readPlan(_ path: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--plan \(path): cannot read the file")
            }
            guard String(decoding: data.prefix(200), as: UTF8.self).hasPrefix("{") else {
                throw ValidationError("--plan \(path): not a plan (write one with avps guest plan)")
            }
            return data
        }
    }
}
