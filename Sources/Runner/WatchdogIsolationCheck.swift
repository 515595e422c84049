import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import Synchronization

/// AVPS2-WDT-05: the VM whose watchdog has the destructive test lets it expire (the same stage a
/// single guest runs for AVPS2-WDT-04, recorded in that VM's own result); meanwhile and for 2 s
/// after its reset, every other VM's agent is asked for its uptime and boot id twice a second.
/// A sibling is disturbed when a question goes unanswered, its boot id changes or its uptime goes
/// back. Decided only when the host saw the owner reset (otherwise there was nothing to survive).
struct WatchdogIsolationCheck: SystemCheck {
    let observation = "watchdog_isolation.sibling_disturbed"

    func measure(_ context: SystemCheckContext) async -> [String: FactValue] {
        let missing = Evidence.notRecordedKey(observation)
        guard let owner = context.members.first(where: { expirySeconds($0) != nil }), let seconds = expirySeconds(owner) else {
            return [missing: .string("no VM has the destructive watchdog test on ({watchdog: {expiry_test: true}} on one VM)")]
        }
        let siblings = context.members.filter { $0.name != owner.name }
        let watchers = siblings.map { sibling in Task { await SiblingWatch.watch(sibling, every: .milliseconds(500)) } }
        let stage = WatchdogExpiryStage(timeouts: owner.timeouts)
        let ownerFacts = Mutex<[String: FactValue]>([:])
        do {
            let client = await owner.link.current
            let next = try await stage.run(client, guest: owner.guest, seconds: seconds) { probe, facts in
                if let probe { owner.collected.append(probe) }
                owner.collected.merge(facts)
                ownerFacts.withLock { $0.merge(facts) { _, new in new } }
            }
            await owner.link.replace(with: next)
        } catch {
            owner.collected.merge([Evidence.notRecordedKey(WatchdogExpiryStage.observation): .string("the expiry test broke: \(error)")])
        }
        let reset = ownerFacts.withLock { $0[WatchdogExpiryStage.observation] } == .bool(true)
        if reset, context.faults.contains(.systemWideWatchdog) {
            // Negative control: a platform whose watchdog handling resets the whole system.
            for sibling in siblings { _ = try? await sibling.guest.qmp?.execute("system_reset", deadline: .now + .seconds(5)) }
        }
        try? await Task.sleep(for: .seconds(2))
        var facts: [String: FactValue] = ["\(observation).owner": .string(owner.name), "\(observation).host_owner_reset": .bool(reset)]
        var disturbed = false
        for (sibling, watcher) in zip(siblings, watchers) {
            watcher.cancel()
            let seen = await watcher.value
            disturbed = disturbed || seen.disturbed
            facts["\(observation).\(sibling.vm)_answers"] = .int(Int64(seen.answers))
            facts["\(observation).\(sibling.vm)_unanswered"] = .int(Int64(seen.unanswered))
            facts["\(observation).\(sibling.vm)_boot_id_changed"] = .bool(seen.bootChanged)
            facts["\(observation).\(sibling.vm)_uptime_went_back"] = .bool(seen.uptimeBack)
        }
        guard reset else {
            facts[missing] = .string("\(owner.name)'s watchdog did not reset it (see AVPS2-WDT-04 in its result), so there was nothing for its siblings to survive")
            return facts
        }
        facts[observation] = .bool(disturbed)
        return facts
    }

    private func expirySeconds(_ member: MemberGuest) -> Int? {
        guard WatchdogExpiryStage.skipReason(member.guest.launch) == nil else { return nil }
        return member.guest.launch.target.devices.compactMap(\.watchdogExpiry).first?.seconds
    }
}
