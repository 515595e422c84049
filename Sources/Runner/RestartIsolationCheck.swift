import AVPSModel
import Foundation

/// AUTO-SYS-01: restart isolation. The system's `restart_test` VM is power-cycled from the host
/// (QMP `system_reset`) while the host keeps talking to every VM: each VM's agent session is
/// asked for uptime and boot id every 250 ms, and a sibling with a NIC of its own (a `net`
/// device) also sends datagrams to a host echo peer between the questions. A sibling is disturbed
/// when a question goes unanswered, its boot id changes, its uptime goes back, its session is
/// silent for longer than `gapBound`, or a datagram to the host is lost. Once the restarted VM is
/// back, a network link it shares with a sibling must carry the sibling's echo to it again.
/// Decided only when the host saw the reset and the VM came back (otherwise there was nothing to
/// survive).
struct RestartIsolationCheck: SystemCheck {
    var observation: String { Self.observation }
    static let observation = "restart_isolation.sibling_disturbed"
    /// The longest a sibling's agent session may stay silent: 12 questions in a row.
    static let gapBound: Duration = .seconds(3)
    static let interval: Duration = .milliseconds(250)

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let key = observation, missing = Evidence.notRecordedKey(observation)
        guard let vm = context.system.restartTest else {
            return [missing: .string("the system has no restart test (restart_test: <vm> on the system)")]
        }
        guard let owner = context.member(vm), owner.guest.qmp != nil else {
            return [missing: .string("VM \(vm) is not up or has no QMP connection to reset it through")]
        }
        let siblings = context.members.filter { $0.name != owner.name }
        let peer = EchoPeer()
        defer { peer?.stop() }
        let watchers = siblings.map { sibling in
            Task { await SiblingWatch.watch(sibling, every: Self.interval, hostEcho: hostEcho(sibling, port: peer?.port)) }
        }
        let ownerTraffic = Task { await SiblingWatch.watch(owner, every: Self.interval) }
        try? await Task.sleep(for: .seconds(1))  // traffic to every VM is flowing before the reset
        // Negative control: a platform whose VM restart takes the whole system down.
        let cycled = context.faults.contains(.systemWideRestart) ? [owner] + siblings : [owner]
        var facts: [String: FactValue] = ["\(key).owner": .string(owner.name), "\(key).gap_bound_ms": .int(Int64(Self.gapBound.components.seconds * 1000))]
        var cycleError: String?
        await withTaskGroup(of: (String, Result<PowerCycle.Outcome, any Error>).self) { group in
            for member in cycled {
                group.addTask {
                    do { return (member.vm, .success(try await PowerCycle(timeouts: member.timeouts).run(member))) } catch { return (member.vm, .failure(error)) }
                }
            }
            for await (name, result) in group {
                switch result {
                case .success(let outcome) where name == owner.vm:
                    facts["\(key).reset_to_agent_seconds"] = .double(outcome.resetToAgentSeconds)
                case .success: break
                case .failure(let error): cycleError = (cycleError.map { $0 + "; " } ?? "") + "\(name): \(error)"
                }
            }
        }
        ownerTraffic.cancel()
        facts["\(key).owner_answers_before_reset"] = .int(Int64(await ownerTraffic.value.answers))
        try? await Task.sleep(for: .seconds(1))  // the siblings, watched with the restarted VM back
        var disturbed = false
        for (sibling, watcher) in zip(siblings, watchers) {
            watcher.cancel()
            let seen = await watcher.value
            let prefix = "\(key).\(sibling.vm)"
            let overGap = seen.maxGapMilliseconds > Double(Self.gapBound.components.seconds * 1000)
            disturbed = disturbed || seen.disturbed || overGap || seen.hostEchoLost > 0 || seen.hostEchoError != nil
            facts["\(prefix)_answers"] = .int(Int64(seen.answers))
            facts["\(prefix)_unanswered"] = .int(Int64(seen.unanswered))
            facts["\(prefix)_max_gap_ms"] = .double(seen.maxGapMilliseconds.rounded())
            facts["\(prefix)_boot_id_changed"] = .bool(seen.bootChanged)
            facts["\(prefix)_uptime_went_back"] = .bool(seen.uptimeBack)
            if hostEcho(sibling, port: peer?.port) != nil {
                facts["\(prefix)_host_echo_sent"] = .int(Int64(seen.hostEchoSent))
                facts["\(prefix)_host_echo_lost"] = .int(Int64(seen.hostEchoLost))
                if let error = seen.hostEchoError { facts["\(prefix)_host_echo_error"] = .string(error) }
            }
        }
        if let cycleError {
            facts[missing] = .string("the restart of \(owner.name) did not complete (\(cycleError)), so there was nothing for its siblings to survive")
            return facts
        }
        facts.merge(await peerLinkAfterRestart(context, owner: owner, siblings: siblings)) { _, new in new }
        let linkBroken = facts["\(key).peer_link"] == .bool(false)
        facts[key] = .bool(disturbed || linkBroken)
        return facts
    }

    /// The first network link joining the restarted VM and a sibling carries that sibling's echo
    /// to it again (the sibling's NIC and the link outlived the restart).
    private func peerLinkAfterRestart(_ context: SystemCheckContext, owner: MemberGuest, siblings: [MemberGuest]) async -> [String: FactValue] {
        guard let index = context.system.links.firstIndex(where: { $0.kind == .network && $0.vms.contains(owner.vm) }),
              let sibling = siblings.first(where: { context.system.links[index].vms.contains($0.vm) }) else { return [:] }
        return await NetworkLinkCheck(observation: "\(observation).peer_link")
            .echo(context, link: index, sender: sibling.vm, servers: [owner.vm])
    }

    /// A sibling's own NIC to the host (a virtio-net device that is not a link NIC), with the peer's port.
    private func hostEcho(_ member: MemberGuest, port: Int?) -> SiblingWatch.HostEcho? {
        guard let port, let nic = member.devices.first(where: { $0.deviceID == 1 && !ProbePlan.isSystemLinkNIC($0) }) else { return nil }
        return SiblingWatch.HostEcho(device: nic.name, port: port)
    }
}
