import AVPSModel
import AgentProtocol
import Foundation
import Scoring

/// Scores a target from what its agent printed in autonomous mode (PROTOCOL.md 8), with no host
/// attached while it ran: the board-farm path where only a serial console reaches the lab.
///
/// The evidence is played back through `AgentClient` (`RecordedAgentStream`), so every answer is
/// decoded and validated as in an attached run, and the probes asked are exactly the ones
/// `ProbePlan` asks for the inventory the guest reported. What only a host can see (QMP, boot
/// timing, the echo peer, console transfers, vsock, watchdog resets) is recorded as not observed,
/// so those requirements are SKIPPED with that reason, never PASS.
public enum AutonomousScoring {
    /// Why host observations are missing, shown in each SKIPPED reason.
    public static let noHost = "the target ran autonomously (evidence from its console), with no host attached to observe this"

    /// The plan file a guest runs: every probe the target's devices could call for, by virtio id.
    public static func plan(for target: TargetSpec) throws(AgentError) -> [String] {
        let placeholders = (1...63).map { id in
            VirtioDeviceRecord(name: AutonomousPlan.placeholder(deviceID: id), deviceID: id, vendorID: 0,
                               transport: .pci, negotiatedFeatures: FeatureBits([]), status: 0, driver: nil)
        }
        return try AutonomousPlan.frames(probes: probePlan(target).requests(for: placeholders))
    }

    /// Host-dependent probes are left out: no echo peer, no console port read by a host.
    static func probePlan(_ target: TargetSpec) -> ProbePlan {
        ProbePlan(echoPort: nil, disksAreScratch: target.disksAreScratch, consolePorts: [], dataSeed: nil, keepFile: nil)
    }

    /// One result per profile; a log without an intact hello and inventory is INFRA naming why.
    /// `attestations` (this target's, verified) turn UNTESTED or SKIPPED rows into ATTESTED, as in a run.
    public static func score(log: String, target: TargetSpec, profiles: [LoadedProfile],
                             attestations: [String: Attestation] = [:]) async -> [TargetResult] {
        let console = ConsoleEvidence(log: log)
        let client = AgentClient(stream: RecordedAgentStream(console))
        let deadline = ContinuousClock.now + .seconds(30)
        var fault: String?
        var evidence: Evidence?
        do {
            _ = try await client.waitForReady(deadline: deadline)
            let identity = try await client.hello(deadline: deadline)
            let devices = try await client.inventory(deadline: deadline)
            var probes: [ProbeResult] = []
            let offline = probePlan(target).requests(for: devices)
            for request in offline {
                probes.append(await probe(request, client, deadline: deadline))
            }
            probes += hostProbes(target, devices: devices, besides: offline)
            evidence = Evidence(guest: identity, devices: devices, probes: probes,
                                hostObservations: notObserved(profiles))
        } catch {
            fault = "the console evidence could not be played back: \(error)"
        }
        if console.endCount == nil {
            fault = fault ?? "the console log ends before the autonomous plan finished (\(console.frames.count) intact frames)"
        }
        if !console.damaged.isEmpty, fault == nil, evidence == nil {
            fault = console.damaged.values.sorted().prefix(3).joined(separator: "; ")
        }
        return profiles.map { loaded in
            let verdicts = switch (evidence, fault) {
            case (let evidence?, nil): Scorer.score(loaded.profile, evidence: evidence, attestations: attestations)
            case (let evidence?, let fault?):
                Scorer.score(loaded.profile, partialEvidence: evidence, fault: fault, attestations: attestations)
            case (nil, let fault): Scorer.infra(loaded.profile, reason: fault ?? "no evidence on the console")
            }
            return TargetResult(name: target.name, adapter: "autonomous", accelerator: nil, commandLine: [],
                                profile: loaded.reference, stages: [], evidence: evidence, infraError: evidence == nil ? fault : nil,
                                results: verdicts, artifacts: [:])
        }
    }

    /// The probes an attached run would add because a host holds their other end (the UDP echo
    /// peer, console ports read on the host): `unavailable` with `noHost`, so their rows say why.
    static func hostProbes(_ target: TargetSpec, devices: [VirtioDeviceRecord], besides offline: [ProbeRequest]) -> [ProbeResult] {
        let attached = ProbePlan(echoPort: 7, disksAreScratch: target.disksAreScratch, consolePorts: ["host"])
        let names = Set(offline.map(\.name))
        return attached.requests(for: devices).filter { !names.contains($0.name) }.map {
            ProbeResult(name: $0.name, device: $0.device, status: .unavailable, facts: [:], reason: noHost)
        }
    }

    /// A probe whose answer is not in the evidence is `unavailable` (SKIPPED with the reason); an
    /// agent that refused it on the board is `error`, as in an attached run.
    private static func probe(_ request: ProbeRequest, _ client: AgentClient, deadline: ContinuousClock.Instant) async -> ProbeResult {
        do {
            return try await client.probe(request, deadline: deadline)
        } catch .remote(let code, let message) {
            let status: ProbeResult.Status = code == RecordedAgentStream.notRecorded ? .unavailable : .error
            let reason = code == RecordedAgentStream.notRecorded ? message : "agent refused the probe: \(code): \(message)"
            return ProbeResult(name: request.name, device: request.device, status: status, facts: [:], reason: reason)
        } catch {
            return ProbeResult(name: request.name, device: request.device, status: .error, facts: [:], reason: "\(error)")
        }
    }

    /// Every host observation the profiles check, marked as not observable in this mode.
    static func notObserved(_ profiles: [LoadedProfile]) -> [String: FactValue] {
        var observations: [String: FactValue] = [:]
        for requirement in profiles.flatMap(\.profile.requirements) {
            switch requirement.check {
            case .host(let observation, _)?:
                observations[Evidence.notRecordedKey(observation)] = .string(noHost)
            case .hardwareVirtualization?:
                observations[Evidence.notRecordedKey(HardwareVirtualization.acceleratorKey)] = .string(noHost)
            case .inventoryCorroborated?:
                observations[Evidence.notRecordedKey(VerdictBasis.corroborationKey)] = .string(noHost)
            default: break
            }
        }
        return observations
    }
}

extension AutonomousScoring {
    /// The run around the scored target; the host is the machine that scored it (it ran no hypervisor).
    public static func runResult(_ targets: [TargetResult], toolVersion: String, startedAt: Date) -> RunResult {
        RunResult(toolVersion: toolVersion, startedAt: startedAt, finishedAt: Date(),
                  host: HostProbe.current(hypervisorVersion: nil), targets: targets)
    }
}
