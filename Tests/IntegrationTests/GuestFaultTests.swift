import AVPSModel
import Foundation
import Runner
import Testing

/// Real TCG guests that break at known points: the kernel panics during boot, the agent dies
/// between hello and inventory, QEMU itself is killed mid-run. Each must end as INFRA naming the
/// stage, keep the stages that completed, and leave no QEMU process and no workspace behind.
/// (A guest that hangs after its modules is `avps.agent=off`, covered by QEMUGuestTests.)
@Suite("Guest faults under real QEMU", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct GuestFaultTests {
    @Test("a kernel panic during boot is INFRA at 'agent ready', reported as soon as QEMU exits")
    func kernelPanic() async throws {
        let target = TargetSpec(name: "it-fault-panic", accelerator: "tcg", devices: [.entropy], kernelAppend: ["avps.init=panic"])
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(90))
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'agent ready' failed"), "\(infra)")
        // QEMU closes the agent socket as it exits; which the runner sees first is a race.
        #expect(infra.contains("exited") || infra.contains("connection closed"), "\(infra)")
        // The exit is explained: panic=-1 asks for a reset, -no-reboot turns it into a clean exit.
        if infra.contains("hypervisor exited early") {
            #expect(infra.contains("QEMU exited with status 0; QMP SHUTDOWN guest-reset: the guest asked for a reset"), "\(infra)")
        }
        #expect(infra.contains("serial log tail"), "\(infra)")
        // panic=-1 and -no-reboot make QEMU exit; the runner must not sit out the 90 s boot timeout.
        let wait = try #require(result.stages.first { $0.stage == "agent ready" })
        #expect(!wait.ok && wait.duration < 90, "waited \(wait.duration) s for a dead guest")
        #expect(!infra.contains("timed out"), "the runner sat out the boot timeout: \(infra.prefix(300))")
        #expect(result.stages.contains { $0.stage == "kernel ready" && $0.ok }, "\(result.stages)")
        let serial = try String(contentsOf: runDirectory.appendingPathComponent("\(target.name)/serial.log"), encoding: .utf8)
        #expect(serial.contains("avps-init: crashing the kernel"), "the panic knob did not run")
        expectInfraAndNothingLeft(result, outcome, target)
    }

    @Test("an agent that dies after hello is INFRA at 'inventory'; ready and hello stay completed")
    func agentDiesMidRun() async throws {
        let target = TargetSpec(name: "it-fault-agent-dies", accelerator: "tcg", devices: [.entropy],
                                kernelAppend: ["avps.agent.test=die-before-inventory"])
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(90))
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'inventory' failed"), "\(infra)")
        for stage in ["hypervisor started", "agent ready", "agent hello"] {
            #expect(result.stages.contains { $0.stage == stage && $0.ok }, "\(stage) not kept: \(result.stages)")
        }
        let failed = try #require(result.stages.first { $0.stage == "inventory" })
        #expect(!failed.ok && failed.duration < 25, "inventory waited \(failed.duration) s for a dead agent")
        #expect(infra.contains("agent exited with status 3"), "serial tail should show the agent's exit: \(infra)")
        expectInfraAndNothingLeft(result, outcome, target)
    }

    @Test("an agent that dies mid-probe keeps the verdicts earned before; what was not measured is INFRA")
    func agentDiesMidProbe() async throws {
        let target = TargetSpec(name: "it-fault-probe-death", accelerator: "tcg",
                                devices: [.entropy, .block(sizeMiB: 16)],
                                kernelAppend: ["avps.agent.test=die-mid-probe"])
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(90))
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("stage 'probes' failed"), "\(infra)")
        let evidence = try #require(result.evidence, "the inventory collected before the fault was dropped")
        #expect(evidence.devices.contains { $0.deviceID == 4 } && evidence.probes.count == 1, "\(evidence.probes)")
        // Inventory-based checks (feature bits, presence) keep real verdicts ...
        let decided = result.results.filter { $0.verdict == .pass || $0.verdict == .fail }
        #expect(!decided.isEmpty, "no verdict survived the fault")
        // ... and a check whose probe never ran says why, as INFRA, never SKIPPED.
        let unmeasured = result.results.filter { $0.reason.hasPrefix("Not measured: stage 'probes' failed") }
        #expect(!unmeasured.isEmpty && unmeasured.allSatisfy { $0.verdict == .infra })
        #expect(!result.results.contains { $0.verdict == .skipped && $0.reason.contains("was not run") })
        #expect(RunOutcome.of(outcome.results) == Self.expectedOutcome(result))
        #expect(processesMentioning("avps-\(target.name)").isEmpty, "QEMU left running")
    }

    @Test("QEMU killed mid-run is INFRA naming the stage it interrupted")
    func qemuKilled() async throws {
        // Killed as soon as the agent starts: a whole run after that takes ~0.4 s now (it took
        // seconds when the kill came 500 ms later), and the block probe keeps it from being shorter.
        let target = TargetSpec(name: "it-fault-qemu-killed", accelerator: "tcg", devices: [.entropy, .block(sizeMiB: 16)])
        let run = Task { try await runTarget(target, bootTimeout: .seconds(90)) }
        let killed = await Self.killWhenAgentStarts(name: "avps-\(target.name)", after: .zero)
        let (outcome, runDirectory) = try await run.value
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        try #require(killed, "QEMU never reached the agent; nothing was killed (\(result.infraError ?? "no INFRA"))")
        let infra = try #require(result.infraError, "a killed QEMU still produced a complete run")
        let failed = try #require(result.stages.last { !$0.ok }, "\(result.stages)")
        #expect(infra.contains("stage '\(failed.stage)' failed"), "\(infra)")
        #expect(!["plan", "hypervisor started"].contains(failed.stage), "\(failed.stage)")
        #expect(infra.contains("exited"), "\(infra)")
        #expect(result.stages.contains { $0.stage == "hypervisor started" && $0.ok })
        if result.stages.contains(where: { $0.stage == "inventory" && $0.ok }) {
            // Killed after the inventory: its verdicts stand (agentDiesMidProbe covers that).
            #expect(result.evidence != nil && RunOutcome.of(outcome.results) == Self.expectedOutcome(result))
            #expect(processesMentioning("avps-\(target.name)").isEmpty, "QEMU left running")
        } else {
            expectInfraAndNothingLeft(result, outcome, target)
        }
    }

    /// A MUST that FAILed on the evidence collected before the fault stands (NOT CONFORMANT, exit
    /// 1); otherwise the broken run is INCOMPLETE because of the test bench (exit 3).
    static func expectedOutcome(_ result: TargetResult) -> RunOutcome {
        result.results.contains { $0.level == .must && $0.verdict == .fail && $0.normative != false } ? .mustFailed : .infrastructure
    }

    func expectInfraAndNothingLeft(_ result: TargetResult, _ outcome: TargetOutcome, _ target: TargetSpec) {
        #expect(!result.results.isEmpty && result.results.allSatisfy { $0.verdict == .infra })
        #expect(RunOutcome.of(outcome.results) == .infrastructure)
        #expect(processesMentioning("avps-\(target.name)").isEmpty, "QEMU left running")
        #expect(!FileManager.default.fileExists(atPath: workspace(of: result.commandLine) ?? "/nonexistent-\(UUID())"))
    }

    /// Finds the QEMU started with `-name <name>`, waits until its serial log shows the agent
    /// starting, then `after` more, and SIGKILLs it. False when that never happened in 90 s.
    static func killWhenAgentStarts(name: String, after: Duration) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(180)  // a loaded CI host boots slowly
        while ContinuousClock.now < deadline {
            for pid in processesMentioning(name) {
                guard let serial = serialLog(of: pid),
                      let text = try? String(contentsOfFile: serial, encoding: .utf8),
                      text.contains("avps-init: starting agent") else { continue }
                try? await Task.sleep(for: after)
                return kill(pid, SIGKILL) == 0
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The serial log path from a QEMU's `-chardev file,id=serial0,path=...`.
    static func serialLog(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.first?.contains("qemu") == true,
              let chardev = arguments.first(where: { $0.hasPrefix("file,id=serial0,path=") }) else { return nil }
        return String(chardev.dropFirst("file,id=serial0,path=".count))
    }
}
