import AVPSModel
import Foundation
import Runner
import Testing

/// Boots real TCG guests. Each test uses its own target name so leftover processes can be found.
@Suite("Real QEMU guests", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct QEMUGuestTests {
    @Test("inventory lists exactly the requested virtio devices, all modern (agent over the virtio-serial fallback)")
    func inventoryMatchesRequest() async throws {
        let target = TargetSpec(name: "it-inventory", accelerator: "tcg",
                                devices: [.block(sizeMiB: 16), .net, .entropy, .console, .balloon], agentChannel: .virtioSerial)
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let evidence = try #require(result.evidence)
        let seen = evidence.devices.map(\.deviceID).sorted()
        #expect(seen == outcome.expectedVirtioDevices)
        #expect(seen == [1, 2, 3, 4, 5])
        for device in evidence.devices {
            #expect(device.negotiatedFeatures.contains(32), "\(device.name) did not negotiate VERSION_1")
            #expect(device.driver != nil, "\(device.name) has no driver")
            #expect(device.transport == .pci)
        }
        #expect(evidence.guest.machine == "x86_64")
        let stages = result.stages.map(\.stage)
        let expectedOrder = ["plan", "hypervisor started", "kernel ready", "agent ready", "agent hello", "inventory", "poweroff"]
        #expect(expectedOrder.allSatisfy(stages.contains), "\(stages)")
        #expect(expectedOrder.compactMap { stages.firstIndex(of: $0) } == expectedOrder.compactMap { stages.firstIndex(of: $0) }.sorted())
        #expect(processesMentioning("avps-it-inventory").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace(of: result.commandLine) ?? "/nonexistent-\(UUID())"))
    }

    @Test("a target whose only console is the agent's virtio-serial channel does not pass console presence")
    func agentChannelIsNotAConsole() async throws {
        let target = TargetSpec(name: "it-channel-only", accelerator: "tcg", devices: [.entropy], agentChannel: .virtioSerial)
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let evidence = try #require(result.evidence)
        let channel = try #require(evidence.devices.first { $0.deviceID == 3 }, "no virtio-serial device: \(evidence.devices)")
        #expect(channel.agentChannel == true)
        let presence = try #require(result.results.first { $0.key == "AVPS2-CON-01" })
        #expect(presence.verdict == .fail, "\(presence)")
        #expect(presence.reason.contains("avps added as its agent channel"), "\(presence.reason)")
        // The device is still there for the behaviour checks that apply to an offered console.
        #expect(result.results.first { $0.key == "AVPS2-CON-02" }?.verdict != .notApplicable)
    }

    @Test("a target without an entropy device fails the entropy requirement")
    func missingEntropyFails() async throws {
        let target = TargetSpec(name: "it-no-rng", accelerator: "tcg", devices: [.block(sizeMiB: 16), .console])
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let entropy = result.results.filter { $0.category == "entropy" && $0.level == .must }
        #expect(!entropy.isEmpty, "the profile has no MUST entropy requirement")
        // The presence requirement fails; the chapter's other MUSTs do not apply without the device.
        #expect(entropy.first { $0.key == "AVPS2-RNG-01" }?.verdict == .fail, "\(entropy)")
        #expect(entropy.allSatisfy { [.fail, .notApplicable].contains($0.verdict) }, "\(entropy)")
        #expect(RunOutcome.of(outcome.results) == .mustFailed)
    }

    @Test("a guest that never starts the agent ends as INFRA within the boot timeout, leaving nothing behind")
    func agentNeverStarts() async throws {
        let target = TargetSpec(name: "it-no-agent", accelerator: "tcg", devices: [.entropy],
                                kernelAppend: ["avps.agent=off"])
        let clock = ContinuousClock()
        let start = clock.now
        let (outcome, _) = try await runTarget(target, bootTimeout: .seconds(30))
        let elapsed = clock.now - start
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("agent ready"), "\(infra)")
        // The serial tail is attached; under heavy load the guest may not have reached init yet.
        #expect(infra.contains("serial log tail") || infra.contains("printed nothing"), "boot progress missing from: \(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        // The wait for the agent is bounded by the boot timeout (machine load may slow the rest).
        let wait = try #require(result.stages.first { $0.stage == "agent ready" })
        // 30 s of boot timeout plus slack for a CI host under full load (seen: more than 32 s).
        #expect(!wait.ok && wait.duration < 30 + 15, "agent wait took \(wait.duration) s")
        #expect(elapsed < .seconds(120), "took \(elapsed)")
        #expect(RunOutcome.of(outcome.results) == .infrastructure)
        #expect(processesMentioning("avps-it-no-agent").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace(of: result.commandLine) ?? "/nonexistent-\(UUID())"))
    }

    @Test("QEMU that cannot start is INFRA naming the hypervisor, not a platform failure")
    func hypervisorFailsToStart() async throws {
        let target = TargetSpec(name: "it-bad-kernel", accelerator: "tcg", devices: [.entropy])
        let (outcome, _) = try await runTarget(target, kernel: "/nonexistent/vmlinuz")
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("hypervisor started"), "\(infra)")
        #expect(infra.contains("exited"), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(processesMentioning("avps-it-bad-kernel").isEmpty)
    }
}
