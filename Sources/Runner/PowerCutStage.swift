import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The destructive power-cut test (suite `{block: {power_cut_test: true}}`, AUTO-STOR-01). Boot 1:
/// the agent writes a seeded pattern to the first scratch disk and flushes it (`block.persistence`
/// phase `write`, the `block.integrity` round trip). The host then cuts the power: the adapter kills
/// the hypervisor process hard and starts it again on the same disk files (`RunningGuest.powerCut`;
/// a guest reset would lose nothing the hypervisor holds). Boot 2: the agent reads the region back
/// (phase `verify`); the verdict rests on that read. Facts recorded (host observations):
///
/// - `block_power_cut_persisted` (bool): the pattern written and flushed before the cut read back
///   intact after it; false also when the write or flush before the cut failed;
/// - `block_power_cut_persisted.detail`: what was lost or failed (quoted in a FAIL);
/// - `block_power_cut_to_agent_seconds`: from the kill to the new agent's `ready`.
///
/// Off by default (it costs a second boot); on adapters that cannot cut the power the observation
/// is not recorded, naming the adapter, so the check is SKIPPED, never PASS.
struct PowerCutStage {
    static let observation = "block_power_cut_persisted"
    static let detail = Evidence.detailKey(observation)
    /// The region written: 1 MiB at 1 MiB (every disk that passes `block.integrity` holds it).
    static let offset: Int64 = 1 << 20
    static let bytes: Int64 = 1 << 20
    var timeouts: RunTimeouts

    /// Why the test does not run on this guest, as the observation's not-recorded reason; nil when it does.
    static func skipReason(_ guest: RunningGuest) -> String? {
        let target = guest.launch.target
        guard target.devices.contains(where: { $0.kind == "block" }) else { return "the target has no block device" }
        guard guest.powerCut != nil else {
            return "the \(target.adapter) adapter cannot cut the guest's power: "
                + (guest.powerCutUnavailable ?? "it has no way to kill the hypervisor process and start it again on the same disks (qemu adapter only)")
        }
        guard target.devices.contains(where: \.powerCutTest) else {
            return "the destructive power-cut test is off (enable it with the block option {block: {power_cut_test: true}}; it costs a second boot)"
        }
        guard target.disksAreScratch else { return "not written: \(target.scratchHint)" }
        return nil
    }

    /// Runs the test on the first block device of the inventory. `record` receives each probe result
    /// and the observations as soon as they are known; returns the guest and agent to carry on with
    /// (the new ones after a cut).
    func run(_ client: AgentClient, guest: RunningGuest, devices: [VirtioDeviceRecord],
             record: @Sendable (ProbeResult?, [String: FactValue]) -> Void) async throws -> (RunningGuest, AgentClient) {
        guard let disk = devices.first(where: { $0.deviceID == 2 }), let cut = guest.powerCut else {
            record(nil, [Evidence.notRecordedKey(Self.observation): .string("the guest shows no block device to write to")])
            return (guest, client)
        }
        let seed = FactValue.int(Int64(ProbePlan.freshSeed()))
        let region: [String: FactValue] = ["offset": .int(Self.offset), "bytes": .int(Self.bytes), "seed": seed]
        let written = try await client.probe(
            ProbeRequest(name: "block.persistence", device: disk.name, params: region.merging(["phase": .string("write"), "allow_write": .bool(true)]) { a, _ in a }),
            deadline: .now + timeouts.request)
        record(written, [:])
        guard written.status == .ok else {
            record(nil, [Evidence.notRecordedKey(Self.observation): .string("the agent did not write the pattern: \(written.reason ?? "no reason given")")])
            return (guest, client)
        }
        if let failed = Self.writeFailure(written.facts) {
            record(nil, [Self.observation: .bool(false), Self.detail: .string("before the power cut \(failed), so nothing was cut")])
            return (guest, client)
        }
        let cutAt = ContinuousClock.now
        let next = try await cut()
        let agent = AgentClient(stream: next.agent, started: client.started)
        _ = try await agent.waitForReady(deadline: .now + timeouts.boot)
        record(nil, ["block_power_cut_to_agent_seconds": .double(((ContinuousClock.now - cutAt).seconds * 1000).rounded() / 1000)])
        let read = try await agent.probe(
            ProbeRequest(name: "block.persistence", device: disk.name, params: region.merging(["phase": .string("verify")]) { a, _ in a }),
            deadline: .now + timeouts.request)
        record(read, Self.verdict(read, disk: disk.name))
        return (next, agent)
    }

    /// The write or flush of boot 1 that failed, as text; nil when both succeeded.
    static func writeFailure(_ facts: [String: FactValue]) -> String? {
        if facts["write_ok"] != .bool(true) { return "the write failed (\(text(facts["write_error"] ?? facts["open_error"])))" }
        if facts["flush_ok"] != .bool(true) { return "the flush failed (\(text(facts["flush_error"])))" }
        return nil
    }

    /// The observation from boot 2's read-back.
    static func verdict(_ read: ProbeResult, disk: String) -> [String: FactValue] {
        guard read.status == .ok else {
            return [Evidence.notRecordedKey(observation): .string("the agent could not read the pattern back after the power cut: \(read.reason ?? "no reason given")")]
        }
        if read.facts["pattern_found"] == .bool(true) { return [observation: .bool(true)] }
        let what = if read.facts["read_ok"] != .bool(true) {
            "the read-back after the power cut failed (\(text(read.facts["read_error"])))"
        } else {
            "\(text(read.facts["mismatched_bytes"])) of the \(bytes) bytes written and flushed at offset \(offset) of \(disk) before the power cut "
                + "differ after it"
        }
        return [observation: .bool(false), detail: .string(what)]
    }

    private static func text(_ value: FactValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .int(let number)?: String(number)
        case let other?: "\(other)"
        case nil: "no error reported"
        }
    }
}
