import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// The external contract's `reset` run on this host (the remote form is proven with the Debian
/// systemd image in `VendorImageTests`): the reference guest behind QEMU, reset by the shipped
/// Debian target's own command (QMP `system_reset`), must come back with a new boot id; a reset
/// command that fails is recorded and the run still reaches its verdicts.
@Suite("external reset", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct ExternalResetTests {
    /// The shipped external QEMU target with a QMP socket, without `-no-reboot` (with it QEMU turns
    /// a reset into a shutdown), and the given `reset`.
    func target(_ name: String, reset: [String]) throws -> TargetSpec {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu.yaml"))
        var target = try #require(suite.targets.first)
        target.name = name
        var external = try #require(target.external)
        #expect(external.start.contains("-no-reboot"))
        external.start = external.start.filter { $0 != "-no-reboot" } + ["-qmp", "unix:{workspace}/qmp.sock,server=on,wait=off"]
        external.reset = reset
        target.external = external
        return target
    }

    @Test("a local reset (the shipped QMP system_reset, {workspace} substituted) reboots the guest and the run carries on")
    func localReset() async throws {
        let shipped = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/debian-systemd-remote.yaml"))
        let reset = try #require(shipped.targets.first?.external?.reset)
        let (outcome, _) = try await runTarget(try target("it-ext-reset", reset: reset))
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let observed = result.evidence?.hostObservations ?? [:]
        #expect(observed["platform_reset_reboots_guest"] == .bool(true), "\(observed.filter { $0.key.hasPrefix("platform_reset") })")
        guard case .double(let seconds)? = observed["platform_reset_to_agent_seconds"] else {
            Issue.record("no reset-to-agent time")
            return
        }
        #expect(seconds > 0 && seconds < 120)
        #expect(result.stages.contains { $0.stage == "platform reset" && $0.ok })
        #expect(Dictionary(result.results.map { ($0.key, $0.verdict) }, uniquingKeysWith: { a, _ in a })["AVPS2-RNG-01"] == .pass)
        #expect(processesMentioning("-name avps-it-ext-reset ").isEmpty)
    }

    @Test("a reset command that fails is recorded with its status; the guest keeps running to its verdicts")
    func failingReset() async throws {
        let (outcome, _) = try await runTarget(try target("it-ext-reset-fails", reset: ["sh", "-c", "echo no such guest >&2; exit 3"]))
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let observed = result.evidence?.hostObservations ?? [:]
        #expect(observed["platform_reset_reboots_guest"] == .bool(false))
        let detail = observed["platform_reset_detail"].map { "\($0)" } ?? ""
        #expect(detail.contains("reset command") && detail.contains("exited with status 3"), "\(detail)")
        #expect(Dictionary(result.results.map { ($0.key, $0.verdict) }, uniquingKeysWith: { a, _ in a })["AVPS2-RNG-01"] == .pass)
        #expect(processesMentioning("-name avps-it-ext-reset-fails ").isEmpty)
    }
}
