import AVPSModel
import AgentProtocol
import HypervisorCore

/// One VM of a system, up and probed, as the system stage sees it.
struct MemberGuest: Sendable {
    var name: String
    var link: AgentLink
    var guest: RunningGuest
    var collected: EvidenceSoFar
    var timeouts: RunTimeouts
}

/// Where the VMs of a system meet once each has booted and run its own probes: the last to
/// arrive runs the system stage (the checks that need the VMs together), then every VM goes on to
/// power off. A VM that fails before arriving `leave`s, so nobody waits for it; the stage then
/// runs with the VMs that made it and says which did not.
actor SystemHold {
    typealias Stage = @Sendable ([MemberGuest], _ absent: [String]) async -> Void

    private let expected: [String]
    private let stage: Stage
    private var arrived: [String: MemberGuest] = [:]
    private var absent: Set<String> = []
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var started = false
    private var finished = false

    init(expected: [String], stage: @escaping Stage) {
        self.expected = expected
        self.stage = stage
    }

    /// Waits (holding the VM up) until the system stage has run.
    func arrive(_ member: MemberGuest) async {
        guard !finished else { return }
        arrived[member.name] = member
        await runIfComplete()
        if finished { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// A VM that ended (or never arrived): nobody waits for it any more.
    func leave(_ name: String) async {
        if arrived[name] == nil { absent.insert(name) }
        await runIfComplete()
    }

    private func runIfComplete() async {
        guard !started, expected.allSatisfy({ arrived[$0] != nil || absent.contains($0) }) else { return }
        started = true
        let members = expected.compactMap { arrived[$0] }
        if !members.isEmpty { await stage(members, expected.filter(absent.contains)) }
        finished = true
        for continuation in waiting { continuation.resume() }
        waiting.removeAll()
    }
}
