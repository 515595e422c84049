import AVPSModel
import AVPSProfiles
import Foundation
import Runner
import Testing

/// The harness tested against itself: the same reference guest and device set through different
/// adapters must produce the same inventory.
@Suite("Adapters agree", .guestSlot(minutes: 5), .timeLimit(.minutes(20)))
struct AdapterInteropTests {
    /// device id -> negotiated feature bits, the comparable part of an inventory.
    func inventory(_ outcome: TargetOutcome) throws -> [Int: [Int]] {
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        let evidence = try #require(result.evidence)
        return Dictionary(evidence.devices.map { ($0.deviceID, $0.negotiatedFeatures.bits) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("the external contract driving QEMU sees the same devices and features as the QEMU adapter")
    func externalMatchesDirect() async throws {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu.yaml"))
        var external = try #require(suite.targets.first)
        external.name = "it-external"
        // Vendors name their tools by absolute path (`/usr/sbin/xl`): no PATH lookup, still no shell.
        external.external?.start[0] = try #require(ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/qemu-system-x86_64" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        let direct = TargetSpec(name: "it-direct", accelerator: "tcg", devices: external.devices,
                                agentChannel: .virtioSerial)  // the external QEMU offers no vsock
        async let viaExternal = runTarget(external)
        async let viaQEMU = runTarget(direct)
        let (externalOutcome, _) = try await viaExternal
        let (directOutcome, _) = try await viaQEMU
        let seenExternal = try inventory(externalOutcome)
        let seenDirect = try inventory(directOutcome)
        #expect(seenExternal.keys.sorted() == [2, 3, 4])
        #expect(seenExternal == seenDirect)
        // Its disk is not declared scratch: the write tests are SKIPPED saying how to enable them.
        let integrity = externalOutcome.results.first?.results.first { $0.key == "AVPS2-STOR-05" }
        #expect(integrity?.verdict == .skipped && integrity?.reason.contains("scratch: true") == true, "\(integrity?.reason ?? "absent")")
        let commandLine = try #require(externalOutcome.results.first?.commandLine)
        #expect(!commandLine.contains { $0.contains("{") }, "unreplaced placeholder in \(commandLine)")
        #expect(processesMentioning("avps-it-external").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace(ofExternal: commandLine) ?? "/nonexistent"))
    }

    @Test("an external target with a hybrid-vsock channel (its own vsockd + QEMU vhost-user-vsock) matches direct QEMU")
    func externalHybridVsockMatchesDirect() async throws {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu-vsock.yaml"))
        var external = try #require(suite.targets.first)
        external.name = "it-ext-hvsock"
        let direct = TargetSpec(name: "it-direct-hvsock", accelerator: "tcg", devices: external.devices,
                                agentChannel: .vsock)
        async let viaExternal = runTarget(external)
        async let viaQEMU = runTarget(direct)
        let (externalOutcome, _) = try await viaExternal
        let (directOutcome, _) = try await viaQEMU
        let seenExternal = try inventory(externalOutcome)
        #expect(seenExternal.keys.sorted() == [4, 19], "\(seenExternal)")
        // The QEMU adapter also adds its virtio-serial controller (id 3) as the agent's fallback channel.
        let seenDirect = try inventory(directOutcome).filter { $0.key != 3 }
        #expect(seenExternal == seenDirect, "external \(seenExternal) vs direct \(seenDirect)")
        // The vsock measurement reaches the agent's bulk port through the same hybrid socket.
        let observed = externalOutcome.results.first?.evidence?.hostObservations ?? [:]
        #expect(observed["agent_channel"] == .string("vsock-user") && observed["vsock_throughput_host_to_guest_mbps"] != nil,
                "\(observed.filter { $0.key.hasPrefix("vsock") || $0.key == "agent_channel" })")
        let vsockRows = { (outcome: TargetOutcome) in
            (outcome.results.first?.results ?? []).filter { $0.key.hasPrefix("AVPS2-VSOCK-") }.map { "\($0.key) \($0.verdict)" }
        }
        #expect(vsockRows(externalOutcome) == vsockRows(directOutcome) && !vsockRows(directOutcome).isEmpty)
        let commandLine = try #require(externalOutcome.results.first?.commandLine)
        // sh -c SCRIPT {avps} {workspace} ...: the workspace is the fifth argument.
        let workspace = try #require(commandLine.count > 4 ? commandLine[4] : nil)
        #expect(workspace.hasPrefix("/") && !commandLine.contains { $0.contains("{") }, "\(commandLine)")
        #expect(processesMentioning("it-ext-hvsock").isEmpty, "QEMU or sh left running")
        #expect(processesMentioning(workspace).isEmpty, "vsockd left running")
        #expect(!FileManager.default.fileExists(atPath: workspace))
    }

    @Test("an external target whose channel never appears is INFRA naming the channel, nothing left running")
    func channelNeverAppears() async throws {
        // An unusual duration marks this process alone (a plain `sleep 300` elsewhere on the host must not count).
        let spec = ExternalSpec(start: ["sleep", "300.0417"], channel: .unix(path: "{workspace}/never.sock"))
        let target = TargetSpec(name: "it-ext-nochannel", adapter: "external", devices: [.entropy], external: spec)
        let (outcome, _) = try await runTarget(target, controlTimeout: .seconds(5))
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("never.sock") && infra.contains("never appeared"), "\(infra)")
        #expect(result.results.allSatisfy { $0.verdict == .infra })
        #expect(await processesRemaining("sleep 300.0417").isEmpty)
    }

    @Test("an external start command that fails is INFRA with its stderr")
    func startFails() async throws {
        let spec = ExternalSpec(start: ["sh", "-c", "echo vendor-tool: license expired >&2; exit 4"],
                                channel: .unix(path: "{workspace}/agent.sock"))
        let target = TargetSpec(name: "it-ext-fails", adapter: "external", devices: [.entropy], external: spec)
        let (outcome, _) = try await runTarget(target)
        let infra = try #require(outcome.results.first?.infraError)
        #expect(infra.contains("license expired"), "\(infra)")
    }

    @Test("QEMU that rejects a device after creating the agent socket is INFRA with QEMU's own error, not a reset")
    func qemuRejectsADeviceAfterTheSocket() async throws {
        let suite = try SuiteLoader.load(contentsOf: Paths.root.appendingPathComponent("Suites/targets/external-qemu.yaml"))
        var target = try #require(suite.targets.first)
        target.name = "it-ext-bad-device"
        var spec = try #require(target.external)
        // The chardev (agent.sock) exists before QEMU realizes devices; this one it then refuses.
        spec.start = spec.start.map { $0 == "virtio-rng-pci,rng=rng0" ? "virtio-rng-pci,rng=rng0,bogus=1" : $0 }
        #expect(spec.start.contains("virtio-rng-pci,rng=rng0,bogus=1"))
        target.external = spec
        let (outcome, _) = try await runTarget(target)
        let result = try #require(outcome.results.first)
        let infra = try #require(result.infraError)
        #expect(infra.contains("Property 'virtio-rng-pci.bogus' not found"), "\(infra)")
        // "with status 1" when the status could still be read; the process may already be reaped.
        #expect(infra.contains("start command exited"), "\(infra)")
        #expect(!infra.lowercased().contains("connection reset"), "\(infra)")
        #expect(processesMentioning("avps-it-ext-bad-device").isEmpty)
    }

    /// The workspace an external QEMU was given (from `path={workspace}/agent.sock`).
    func workspace(ofExternal commandLine: [String]) -> String? {
        guard let argument = commandLine.first(where: { $0.contains("/agent.sock") }),
              let start = argument.range(of: "path="), let end = argument.range(of: "/agent.sock") else { return nil }
        return String(argument[start.upperBound..<end.lowerBound])
    }
}
