import Foundation
import Subprocess
import Testing
@testable import GuestImage

/// End to end: build the real reference guest from Debian's kernel package, then boot it under
/// QEMU/TCG. Uses `$AVPS_CACHE` (default ~/.cache/avps) so repeated runs reuse the 70 MB kernel
/// download; point AVPS_CACHE at an empty directory to measure a cold build.
///
/// Needs apt-get with Debian mirrors, busybox-static and qemu-system-x86_64. When a prerequisite
/// is missing the test *fails* with a message naming it, so a CI run never reports a green
/// result for a guest that was never built. Set AVPS_SKIP_GUEST_E2E=1 to skip deliberately.
@Suite(.serialized) struct ReferenceGuestBootTests {
    static let skipRequested = ProcessInfo.processInfo.environment["AVPS_SKIP_GUEST_E2E"] == "1"

    /// Stand-in for the real agent (written in parallel): proves the static build and that
    /// /init runs it and powers off when it exits.
    static let standInAgent = """
    #include <stdio.h>
    int main(void) {
        printf("avps-agent stand-in running\\n");
        fflush(stdout);
        return 7;
    }

    """

    @Test(.disabled(if: skipRequested, "AVPS_SKIP_GUEST_E2E=1"), .timeLimit(.minutes(10)))
    func buildsAndBootsReferenceGuest() async throws {
        for tool in ["apt-get", "qemu-system-x86_64"] {
            let found = try? await HostTool(name: "sh", installHint: "").capture(["-c", "command -v \"$0\"", tool])
            guard let found, found.succeeded else {
                Issue.record("prerequisite '\(tool)' is not installed: the reference guest was NOT built or booted")
                return
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("avps-guest-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let agentDir = scratch.appendingPathComponent("avps-agent")
        try FileManager.default.createDirectory(at: agentDir, withIntermediateDirectories: true)
        try Data(Self.standInAgent.utf8).write(to: agentDir.appendingPathComponent("main.c"))

        let request = GuestImageRequest(agentSource: agentDir, cacheRoot: GuestImageBuilder.defaultCacheRoot())
        let builder = GuestImageBuilder(progress: { print("guest-build: \($0)") })
        let clock = ContinuousClock()
        let firstStart = clock.now
        let first = try await builder.build(request)
        let firstTime = clock.now - firstStart
        let secondStart = clock.now
        let (second, hit) = try await builder.buildReportingCache(request)
        let secondTime = clock.now - secondStart
        let size = (try FileManager.default.attributesOfItem(atPath: first.initrd.path)[.size] as? Int) ?? -1
        print("guest-build: first \(firstTime), second \(secondTime), initramfs \(size) bytes, modules \(first.modules.count), skipped \(first.skippedModules)")

        #expect(first == second)
        #expect(hit, "an unchanged second build must reuse the cached initramfs")
        // `hit` proves nothing was rebuilt; this loose bound (24 s seen in CI at load 15) only catches a
        // warm path gone pathological. The measured figure (0.25 s quiet) is in BENCHMARKS.md.
        #expect(secondTime < .seconds(60), "warm build took \(secondTime)")
        #expect(first.kernelRelease.hasSuffix("-amd64"))
        #expect(first.kernelSource.hasPrefix("linux-image-"))
        #expect(first.modules.contains("virtio_pci") && first.modules.contains("vmw_vsock_virtio_transport"))
        #expect(first.skippedModules.isEmpty, "Debian 6.1 ships every reference module: \(first.skippedModules)")

        // Boot 1: agent disabled -> init must say so and then idle until we kill QEMU.
        let disabled = try await Self.boot(first, extra: "avps.agent=off", until: "avps-init: agent disabled",
                                           log: scratch.appendingPathComponent("serial-off.log"))
        print("guest-boot: agent=off reached marker after \(disabled.elapsed)")
        #expect(disabled.found, "serial log:\n\(disabled.log)")
        #expect(disabled.log.contains("avps-init: modules loaded: \(first.modules.count) ok, 0 failed, 0 not needed"), "serial log:\n\(disabled.log)")
        #expect(!disabled.log.contains("avps-init: insmod"), "a module failed to load:\n\(disabled.log)")

        // Boot 2: agent enabled -> the stand-in runs, exits 7, init reports it and powers off.
        let enabled = try await Self.boot(first, extra: "", until: "avps-init: agent exited with status 7",
                                          log: scratch.appendingPathComponent("serial-on.log"))
        print("guest-boot: agent run reached marker after \(enabled.elapsed)")
        #expect(enabled.found, "serial log:\n\(enabled.log)")
        #expect(enabled.log.contains("avps-agent stand-in running"))
    }

    struct Boot {
        var found: Bool
        var log: String
        var elapsed: Duration
    }

    /// Boots `guest` under TCG, waits (at most 90 s) for `marker` in the serial log, then kills
    /// QEMU. Subprocess reaps it before returning, so no process outlives the test.
    static func boot(_ guest: ReferenceGuest, extra: String, until marker: String, log: URL) async throws -> Boot {
        let append = "console=ttyS0 panic=-1 no_timer_check \(extra)".trimmingCharacters(in: .whitespaces)
        let arguments = ["-accel", "tcg", "-machine", "q35", "-m", "256", "-nodefaults", "-display", "none",
                         "-no-reboot", "-serial", "file:\(log.path)",
                         "-kernel", guest.kernel.path, "-initrd", guest.initrd.path, "-append", append]
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await Subprocess.run(.name("qemu-system-x86_64"), arguments: Arguments(arguments),
                                              input: .none, output: .discarded, error: .string(limit: 1 << 16)) { execution in
            let deadline = clock.now + .seconds(90)
            var found = false
            while clock.now < deadline {
                if let text = try? String(contentsOf: log, encoding: .utf8), text.contains(marker) {
                    found = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let elapsed = clock.now - start
            try? await Task.sleep(for: .milliseconds(300)) // let the tail of the log reach the file
            try? execution.send(signal: .kill)
            return (found, elapsed)
        }
        let (found, elapsed) = result.closureResult
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "<no serial log>; qemu stderr: \(result.standardError)"
        return Boot(found: found, log: text, elapsed: elapsed)
    }
}
