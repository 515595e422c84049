import AVPSModel
import ArgumentParser
import Foundation
import GuestImage
import HypervisorCore

/// Options that choose and build the reference guest; shared by `avps run` and `avps guest build`.
struct GuestOptions: ParsableArguments {
    @Option(help: "Kernel image to boot instead of Debian's package (needs --modules).")
    var kernel: String?

    @Option(help: "Module directory (lib/modules/<release>, with modules.dep) matching --kernel.")
    var modules: String?

    @Option(help: "Guest architecture: x86_64 or aarch64 (Debian arm64 kernel, busybox and a cross-compiled agent).")
    var arch: GuestArchitecture = .x86_64

    @Option(help: "Debian kernel package to fetch with apt-get download (default: linux-image-amd64, or linux-image-arm64 with --arch aarch64).")
    var kernelPackage: String?

    @Option(help: "Directory of the agent's C sources (default: Sources/avps-agent of the project).")
    var agentSource: String?

    @Option(help: "Cache directory (default: $AVPS_CACHE or ~/.cache/avps).")
    var cache: String?

    var cacheRoot: URL {
        cache.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? GuestImageBuilder.defaultCacheRoot()
    }

    func validate() throws {
        if (kernel == nil) != (modules == nil) {
            throw ValidationError("--kernel and --modules go together")
        }
    }

    func request() -> GuestImageRequest {
        GuestImageRequest(
            architecture: arch, kernelPackage: kernelPackage, kernel: kernel.map { URL(fileURLWithPath: $0) },
            modules: modules.map { URL(fileURLWithPath: $0, isDirectory: true) },
            agentSource: agentSource.map { URL(fileURLWithPath: $0, isDirectory: true) }, cacheRoot: cacheRoot)
    }

    /// Builds (or finds in the cache) the reference guest.
    func build() async throws -> ReferenceGuest {
        let (guest, cacheHit) = try await GuestImageBuilder(progress: { Console.info($0) })
            .buildReportingCache(request())
        Console.info("reference guest \(cacheHit ? "from cache" : "built"): kernel \(guest.kernelRelease), initrd \(guest.initrd.path)")
        return guest
    }
}

extension GuestArchitecture: ExpressibleByArgument {}
