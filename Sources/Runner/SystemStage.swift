import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The checks that need a system's VMs together, run once every VM has booted and run its own
/// probes (or failed). Each check records its facts as system observations under one name (the
/// profile's `system` check) with details under `name.*`; one that cannot run (a link or device the
/// suite did not declare, a VM that never came up) records why (`name.not_recorded`) instead.
/// The checks run one after another: the storage and file scans must not compete with the
/// network timing; the restart test and the watchdog expiry reboot a VM, so they come last.
struct SystemStage: Sendable {
    var system: TargetSpec
    var stages: StageLog
    var faults: IsolationFaults
    /// Seed of the run: the secrets the checks plant derive from it.
    var seed: UInt64

    func run(_ members: [MemberGuest], absent: [String], into observations: SystemObservations) async {
        observations.merge(["vms_up": .int(Int64(members.count)), "vms_expected": .int(Int64(system.vms.count))])
        if !absent.isEmpty { observations.merge(["vms_absent": .string(absent.joined(separator: ", "))]) }
        let context = SystemCheckContext(members: members, absent: absent, system: system, faults: faults, seed: seed)
        let checks: [(String, any SystemCheck)] = [
            ("system network link", NetworkLinkCheck()),
            ("system vsock link", VsockLinkCheck()),
            ("system shared memory", SharedMemoryLinkCheck()),
            ("system storage isolation", StorageIsolationCheck()),
            ("system file sharing isolation", FileSharingIsolationCheck()),
            ("system restart isolation", RestartIsolationCheck()),  // resets the restart_test VM
            ("system watchdog isolation", WatchdogIsolationCheck()),  // last: it resets a VM on purpose
        ]
        for (stage, check) in checks {
            // With a VM missing nothing is recorded: its INFRA becomes each requirement's (Scorer).
            guard context.missingVMs == nil else { continue }
            observations.merge((try? await stages.run(stage) { await check.measure(context) }) ?? [:])
        }
    }
}

/// One measurement between VMs.
protocol SystemCheck: Sendable {
    /// The system observation the profile's `system` check reads.
    var observation: String { get }
    /// Facts under `observation` (and `observation.*`), or its `.not_recorded` reason.
    func measure(_ context: SystemCheckContext) async -> [String: FactValue]
}

/// What every system check gets: the VMs that are up, and helpers to reach them.
struct SystemCheckContext: Sendable {
    var members: [MemberGuest]
    var absent: [String]
    var system: TargetSpec
    var faults: IsolationFaults
    var seed: UInt64

    /// Why nothing between the VMs can be measured (fewer than two VMs up), or nil.
    var missingVMs: String? {
        guard members.count < 2 else { return nil }
        return "only \(members.count) of \(system.vms.count) VMs came up (not up: \(absent.joined(separator: ", ")))"
    }

    /// The VM of the system with this short name, when it is up.
    func member(_ vm: String) -> MemberGuest? {
        members.first { $0.guest.launch.target.membership?.vm == vm }
    }

    /// A probe on one VM with a deadline covering the agent's own for it.
    func probe(_ member: MemberGuest, _ name: String, device: String? = nil, _ params: [String: FactValue],
               extra: Duration = .seconds(20)) async throws -> ProbeResult {
        let client = await member.link.current
        return try await client.probe(ProbeRequest(name: name, device: device, params: params),
                                      deadline: .now + member.timeouts.request + extra)
    }

    /// A seeded, non-zero secret for VM `index`, different for every run seed and VM.
    func secret(_ index: Int, salt: UInt64) -> UInt64 {
        var value = (seed ^ salt) &+ UInt64(index + 1) &* 0x9e37_79b9_7f4a_7c15
        value ^= value >> 31
        return value == 0 ? 0x5eed : value & 0x7fff_ffff_ffff_ffff
    }
}

extension MemberGuest {
    /// Short VM name (`a` of `pair/a`).
    var vm: String { guest.launch.target.membership?.vm ?? name }
    var devices: [VirtioDeviceRecord] { collected.evidence?.devices ?? [] }
}
