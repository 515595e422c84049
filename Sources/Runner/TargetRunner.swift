import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor
import Scoring

/// What examining one target produced: one result per profile, plus the host-side plan facts
/// that tests and `--plan` need.
public struct TargetOutcome: Sendable {
    public var results: [TargetResult]
    /// Virtio device ids the hypervisor was asked for (nil when the launch was never planned).
    public var expectedVirtioDevices: [Int]?
}

/// Boots one target, walks the readiness stages, collects evidence and scores every profile.
///
/// Target trouble never escapes as an error: a boot or agent failure becomes INFRA results that
/// name the failed stage, so the rest of a run carries on. Only a usage error (a target the adapter
/// cannot express) is thrown.
public struct TargetRunner: Sendable {
    /// The default adapter (its version goes into the results' host facts).
    public var hypervisor: any Hypervisor
    /// Further adapters by name, chosen by a target's `adapter:` field.
    public var adapters: [String: any Hypervisor]
    public var boot: BootArtifacts
    /// Targets whose guest differs from `boot` (another architecture, kernel or extra modules),
    /// by target name.
    public var targetBoots: [String: TargetBoot] = [:]
    /// Overrides the accelerator-scaled default timeouts.
    public var timeouts: RunTimeouts?
    /// Verified vendor attestations, by target name and requirement key (`avps run --attestation`).
    public var attestations: AttestationIndex = [:]
    /// Negative controls only: isolation a system's VMs are run without (never from a suite).
    public var isolationFaults: IsolationFaults = []
    /// The run's seed: secrets the system checks plant derive from it.
    public var seed: UInt64 = 0

    public init(hypervisor: any Hypervisor, boot: BootArtifacts, timeouts: RunTimeouts? = nil,
                adapters: [String: any Hypervisor] = [:], targetBoots: [String: TargetBoot] = [:]) {
        self.hypervisor = hypervisor
        self.adapters = adapters
        self.boot = boot
        self.targetBoots = targetBoots
        self.timeouts = timeouts
    }

    /// - Parameter artifactDirectory: per-target directory inside the run directory.
    /// - Parameter runDirectory: artifact paths in results are relative to it.
    /// - Parameter events: told of each stage as it starts and ends (progress displays).
    public func run(_ target: TargetSpec, profiles: [LoadedProfile], artifactDirectory: URL,
                    runDirectory: URL, events: (@Sendable (RunEvent) -> Void)? = nil) async throws(RunnerError) -> TargetOutcome {
        if target.isSystem {
            return try await SystemRunner(runner: self).run(target, profiles: profiles, artifactDirectory: artifactDirectory,
                                                             runDirectory: runDirectory, events: events)
        }
        return try await run(target, profiles: profiles, artifactDirectory: artifactDirectory, runDirectory: runDirectory,
                             events: events, hold: nil)
    }

    /// - Parameter hold: set for a VM of a system: where it waits, up and probed, for the system stage.
    func run(_ target: TargetSpec, profiles: [LoadedProfile], artifactDirectory: URL, runDirectory: URL,
             events: (@Sendable (RunEvent) -> Void)?, hold: SystemHold?) async throws(RunnerError) -> TargetOutcome {
        guard let hypervisor = target.adapter == hypervisor.name ? hypervisor : adapters[target.adapter] else {
            let known = ([hypervisor.name] + adapters.keys.sorted()).joined(separator: ", ")
            throw .usage("target \(target.name): unknown adapter \(target.adapter) (known: \(known))")
        }
        let name = target.name
        let observer: (@Sendable (StageEvent) -> Void)? = events.map { events in
            { @Sendable stage in events(.stage(target: name, stage)) }
        }
        let stages = StageLog(observer: observer)
        let artifacts = ArtifactSet(directory: artifactDirectory, runDirectory: runDirectory)
        let boot: BootArtifacts
        switch targetBoots[target.name] ?? .artifacts(self.boot) {
        case .artifacts(let artifacts): boot = artifacts
        case .unavailable(let reason):
            return outcome(target, profiles, stages, launch: nil, evidence: nil,
                           infra: "stage 'guest' failed: \(reason)", artifacts: artifacts)
        }
        let launch: PreparedLaunch
        do {
            try FileManager.default.createDirectory(at: artifactDirectory, withIntermediateDirectories: true)
            launch = try await stages.run("plan") { try await hypervisor.prepare(target, boot: boot.lean(for: target), artifactDirectory: artifactDirectory) }
        } catch let error as HypervisorError {
            if case .invalidTarget = error { throw .usage("target \(target.name): \(error)") }
            if case .unsupported = error { throw .usage("target \(target.name): \(error)") }
            return outcome(target, profiles, stages, launch: nil, evidence: nil,
                           infra: "stage 'plan' failed: \(error)", artifacts: artifacts)
        } catch {
            return outcome(target, profiles, stages, launch: nil, evidence: nil,
                           infra: "cannot create \(artifactDirectory.path): \(error)", artifacts: artifacts)
        }
        artifacts.write("command_line", file: "qemu-cmdline.txt", text: ShellQuoting.join(launch.commandLine) + "\n")
        await Self.testPauseAfterPlan()
        let timeouts = self.timeouts ?? .defaults(accelerator: launch.accelerator)
        let transcript = TranscriptBox()
        let collected = EvidenceSoFar()
        do {
            let evidence = try await hypervisor.withRunningGuest(launch, timeouts: LaunchTimeouts(control: timeouts.control), stages: stages) { guest in
                let link = AgentLink(AgentClient(stream: guest.agent))
                let watcher = Task { await BootWatcher(serialLog: guest.launch.serialLog, stages: stages).watch() }
                defer { watcher.cancel() }
                do {
                    let evidence = try await collect(link, guest: guest, stages: stages, timeouts: timeouts, into: collected, hold: hold)
                    await transcript.set(await link.transcript)
                    return evidence
                } catch {
                    await transcript.set(await link.transcript)
                    throw error
                }
            }
            artifacts.collect(launch: launch, transcript: await transcript.stored)
            return outcome(target, profiles, stages, launch: launch, evidence: evidence, infra: nil, artifacts: artifacts)
                .recording(launch: launch, boot: boot)
        } catch {
            artifacts.collect(launch: launch, transcript: await transcript.stored)
            let stage = stages.failedStage ?? "shutdown"
            // Once the run is cancelled, whatever broke next (a closed socket, a dead QEMU) is a
            // consequence; report the cause.
            let cause = Task.isCancelled ? (RunCancellation.reason ?? "cancelled") : Self.describe(error)
            var message = "stage '\(stage)' failed: \(cause)"
            if stage == "agent ready" { message += " (\(BootWatcher.progress(stages)))" }
            if let tail = artifacts.serialTail(launch), !tail.isEmpty { message += "\nserial log tail:\n\(tail)" }
            return outcome(target, profiles, stages, launch: launch, evidence: collected.evidence, infra: message,
                           artifacts: artifacts)
                .recording(launch: launch, boot: boot)
        }
    }

    /// ready → hello → inventory → probes → vsock measurement → (platform reset) → (power cut) → (watchdog expiry) → poweroff,
    /// each a timed stage.
    private func collect(_ link: AgentLink, guest: RunningGuest, stages: StageLog, timeouts: RunTimeouts,
                         into collected: EvidenceSoFar, hold: SystemHold?) async throws -> Evidence {
        let client = await link.current
        _ = try await stages.run("agent ready") { try await client.waitForReady(deadline: .now + timeouts.boot) }
        // The version check belongs to the hello stage, so a mismatch names it (not 'shutdown').
        let identity = try await stages.run("agent hello") {
            let identity = try await client.hello(deadline: .now + timeouts.request)
            guard identity.protocolVersion == agentProtocolVersion else {
                throw AgentError.protocolViolation("agent speaks protocol \(identity.protocolVersion), host speaks \(agentProtocolVersion)")
            }
            return identity
        }
        collected.set(identity: identity)
        let inventory = try await stages.run("inventory") { try await client.inventory(deadline: .now + timeouts.request) }
        let devices = AgentChannelTag.tag(inventory, launch: guest.launch)
        let (qemuDevices, disagreements) = try await corroborate(devices, guest: guest, stages: stages, timeouts: timeouts)
        collected.set(devices: devices)
        collected.merge(disagreements)
        collected.merge(Self.withheldObservations(guest.launch))
        collected.merge(DeclaredDevices.observations(guest.launch, inventory: devices))
        collected.merge(guest.observations)
        if let boot = ProbeStage.bootToAgent(stages) { collected.merge(["boot_to_agent_seconds": .double(boot)]) }
        collected.merge(HostVirtualization.observations(accelerator: guest.launch.accelerator, adapter: guest.launch.target.adapter))
        let probing = ProbeStage(timeouts: timeouts)
        let peerObservations = try await stages.run("probes") {
            try await probing.probes(client, devices: devices, guest: guest, record: collected.append)
        }
        collected.merge(peerObservations)
        collected.merge(await probing.hypervisorView(guest, known: qemuDevices))
        let channel = try await stages.run("vsock measurement") { await VsockMeasurement.observe(guest, deadline: .now + timeouts.request) }
        collected.merge(channel)
        if let reset = guest.reset {
            let next = try await stages.run("platform reset") {
                try await PlatformResetStage(timeouts: timeouts).run(client, guest: guest, reset: reset, record: collected.merge)
            }
            await link.replace(with: next)
        }
        let running = try await powerCut(guest, link: link, devices: devices, stages: stages, timeouts: timeouts,
                                         into: collected, inSystem: hold != nil)
        if let hold {
            await hold.arrive(MemberGuest(name: running.launch.target.name, link: link, guest: running, collected: collected,
                                          timeouts: timeouts))
        }
        if collected.evidence?.hostObservations[WatchdogExpiryStage.observation] != nil {
            // The system stage already let this VM's watchdog fire (AVPS2-WDT-05 watches its siblings meanwhile).
        } else if let why = WatchdogExpiryStage.skipReason(running.launch) {
            collected.merge([Evidence.notRecordedKey(WatchdogExpiryStage.observation): .string(why)])
        } else if let expiry = running.launch.target.devices.compactMap(\.watchdogExpiry).first {
            let current = await link.current
            let next = try await stages.run("watchdog expiry") {
                try await WatchdogExpiryStage(timeouts: timeouts).run(current, guest: running, seconds: expiry.seconds) { probe, facts in
                    if let probe { collected.append(probe) }
                    collected.merge(facts)
                }
            }
            await link.replace(with: next)
        }
        let last = await link.current
        try await stages.run("poweroff") { try await last.poweroff(deadline: .now + timeouts.request) }
        guard let evidence = collected.evidence else { throw AgentError.protocolViolation("no inventory collected") }
        return evidence
    }

    /// The opt-in power-cut test (`PowerCutStage`), or why it does not run; returns the guest to
    /// carry on with (a new hypervisor process after a cut).
    private func powerCut(_ guest: RunningGuest, link: AgentLink, devices: [VirtioDeviceRecord], stages: StageLog,
                          timeouts: RunTimeouts, into collected: EvidenceSoFar, inSystem: Bool) async throws -> RunningGuest {
        let notRecorded = Evidence.notRecordedKey(PowerCutStage.observation)
        if inSystem {
            collected.merge([notRecorded: .string("the power-cut test does not run on a VM of a system")])
            return guest
        }
        if let why = PowerCutStage.skipReason(guest) {
            collected.merge([notRecorded: .string(why)])
            return guest
        }
        let current = await link.current
        let (next, agent) = try await stages.run("power cut") {
            try await PowerCutStage(timeouts: timeouts).run(current, guest: guest, devices: devices) { probe, facts in
                if let probe { collected.append(probe) }
                collected.merge(facts)
            }
        }
        await link.replace(with: agent)
        return next
    }

    /// Where QMP is there, the inventory must agree with QEMU's own device list and host features
    /// before any verdict rests on it (`QMPCorroboration`). Returns QEMU's devices when they agree
    /// (nil without QMP, when QEMU cannot say, or on a disagreement) and, on a disagreement, the
    /// host observation naming both values: the self-check requirement (`inventory_corroborated`)
    /// is then ERROR and no verdict rests on the inventory (`Scorer`).
    private func corroborate(_ devices: [VirtioDeviceRecord], guest: RunningGuest, stages: StageLog,
                             timeouts: RunTimeouts) async throws -> ([QEMUVirtioDevice]?, [String: FactValue]) {
        guard let qmp = guest.qmp else { return (nil, [:]) }
        return try await stages.run("qmp corroboration") {
            let qemu: [QEMUVirtioDevice]
            do {
                qemu = try await QEMUVirtioStatus.query(qmp, deadline: .now + timeouts.request)
            } catch {
                return (nil, [:])  // recorded by hypervisorView as qemu.virtio_status_unavailable
            }
            let disagreements = QMPCorroboration.disagreements(agent: devices, qemu: qemu)
            guard disagreements.isEmpty else {
                return (nil, [VerdictBasis.disagreementKey: .list(disagreements.prefix(16).map { .string($0) })])
            }
            return (qemu, [:])
        }
    }

    /// `hypervisor.withheld.*`: requested devices the hypervisor cannot offer, with the reason.
    static func withheldObservations(_ launch: PreparedLaunch) -> [String: FactValue] {
        var observations: [String: FactValue] = [:]
        for (id, why) in launch.withheldDevices { observations[Evidence.withheldKey(deviceID: id)] = .string(why) }
        for (kind, why) in launch.withheldPlatformDevices { observations[Evidence.withheldKey(kind: kind)] = .string(why) }
        return observations
    }

    private func outcome(_ target: TargetSpec, _ profiles: [LoadedProfile], _ stages: StageLog,
                         launch: PreparedLaunch?, evidence: Evidence?, infra: String?,
                         artifacts: ArtifactSet) -> TargetOutcome {
        let attested = attestations[target.name] ?? [:]
        let results = profiles.map { loaded in
            let verdicts = switch (evidence, infra) {
            case (let evidence?, nil): Scorer.score(loaded.profile, evidence: evidence, attestations: attested)
            // A later stage broke: what earlier stages measured still stands (see Scorer).
            case (let evidence?, let infra?):
                Scorer.score(loaded.profile, partialEvidence: evidence, fault: Self.firstLine(infra), attestations: attested)
            // The full message (serial tail included) is the target's infra_error, once; each
            // result carries its first line only.
            case (nil, let infra): Scorer.infra(loaded.profile, reason: infra.map(Self.firstLine) ?? "no evidence collected")
            }
            return TargetResult(
                name: target.name, adapter: target.adapter, accelerator: launch?.accelerator,
                commandLine: launch?.commandLine ?? [], profile: loaded.reference, stages: stages.timings,
                evidence: evidence, infraError: infra, results: verdicts, artifacts: artifacts.recorded)
        }
        return TargetOutcome(results: results, expectedVirtioDevices: launch?.expectedVirtioDevices)
    }

    /// Tests only (`AVPS_TEST_PAUSE_AFTER_PLAN=SECONDS`): holds a planned launch, whose workspace
    /// exists but no guest and no orphan guard yet, so a test can kill avps in that window.
    static func testPauseAfterPlan() async {
        guard let text = ProcessInfo.processInfo.environment["AVPS_TEST_PAUSE_AFTER_PLAN"], let seconds = Double(text),
              (0...60).contains(seconds) else { return }
        try? await Task.sleep(for: .seconds(seconds))
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1).first ?? Substring(text))
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case AgentError.cancelled: RunCancellation.reason ?? "cancelled"
        case let error as AgentError: error.description
        case let error as HypervisorError: error.description
        case is CancellationError: RunCancellation.reason ?? "cancelled"
        default: String(describing: error)
        }
    }
}

/// Collects the agent transcript across the isolation boundary of the guest closure.
actor TranscriptBox {
    private(set) var stored: [AgentClient.TranscriptLine] = []
    func set(_ lines: [AgentClient.TranscriptLine]) { stored = lines }
}
