import AVPSModel
import Foundation
import Runner
import Testing

/// Boots real TCG guests. Each test uses its own target name so leftover processes can be found.
@Suite("Real QEMU guests", .timeLimit(.minutes(5)))
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
        #expect(result.stages.map(\.stage).starts(with: ["plan", "hypervisor started", "agent ready", "agent hello", "inventory"]))
        #expect(processesMentioning("avps-it-inventory").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace(of: result.commandLine) ?? "/nonexistent-\(UUID())"))
    }

    @Test("a target without an entropy device fails the entropy requirement")
    func missingEntropyFails() async throws {
        let target = TargetSpec(name: "it-no-rng", accelerator: "tcg", devices: [.block(sizeMiB: 16), .console])
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let entropy = result.results.filter { $0.category == "entropy" && $0.level == .must }
        #expect(!entropy.isEmpty, "the profile has no MUST entropy requirement")
        #expect(entropy.allSatisfy { $0.verdict == .fail }, "\(entropy)")
        #expect(RunOutcome.of(outcome.results) == .mustFailed)
    }

    @Test("a guest that never starts the agent ends as INFRA within the boot timeout, leaving nothing behind")
    func agentNeverStarts() async throws {
        let target = TargetSpec(name: "it-no-agent", accelerator: "tcg", devices: [.entropy],
                                kernelAppend: ["avps.agent=off"])
        let clock = ContinuousClock()
        let start = clock.now
        let (outcome, _) = try await runTarget(target, bootTimeout: .seconds(20))
        let elapsed = clock.now - start
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("agent ready"), "\(infra)")
        #expect(infra.contains("agent disabled"), "serial tail missing from: \(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(elapsed < .seconds(20 + 25), "took \(elapsed)")
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
