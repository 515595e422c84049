import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore
import QEMUHypervisor

/// The stage after inventory: behavioural probes in the guest, plus what the host can see
/// for itself (boot time, the hypervisor's own view of its virtio devices).
struct ProbeStage {
    var timeouts: RunTimeouts

    /// Runs the probes the inventory calls for, handing each result to `record` as soon as it is
    /// in (so a later fault keeps it). A probe the agent refuses (`error` frame) is recorded as an
    /// `error` result; a broken channel throws (INFRA). Returns the echo peer's observations.
    func probes(_ client: AgentClient, devices: [VirtioDeviceRecord], guest: RunningGuest,
                record: @Sendable (ProbeResult) -> Void) async throws -> [String: FactValue] {
        let wantsNet = devices.contains { $0.deviceID == 1 }
        let peer = wantsNet ? EchoPeer() : nil
        let sockets = Self.consoleSockets(guest.launch)
        let target = guest.launch.target
        var plan = ProbePlan(echoPort: peer?.port, disksAreScratch: target.disksAreScratch,
                             consolePorts: sockets.keys.sorted())
        // A file is left in a share only for a host that will read and remove it.
        if guest.launch.hostDataEnds.shareDirectories.isEmpty { plan.keepFile = nil }
        let hostCheck = HostDataCheck(ends: guest.launch.hostDataEnds, keepFile: plan.keepFile)
        var failure: AgentError?
        for request in plan.requests(for: devices) where failure == nil {
            let peerBefore = peer?.received ?? 0
            let outcome = if request.name == "console.transfer", case .string(let port)? = request.params["port"], let path = sockets[port] {
                await runTransfer(request, client, socket: path)
            } else {
                await run(request, client)
            }
            switch outcome {
            case .success(var result):
                if !plan.disksAreScratch, result.status == .unavailable, ProbePlan.writingProbes.contains(result.name),
                   result.reason?.contains("allow_write") == true {
                    result.reason = "not written: \(target.scratchHint)"
                }
                // Host-observed facts: the agent cannot write these (AgentClient refuses them).
                let host = await hostCheck.facts(for: request, result: result, peerDatagrams: peer.map { $0.received - peerBefore })
                result.facts.merge(host) { _, host in host }
                record(result)
            case .failure(let error): failure = error
            }
        }
        peer?.stop()
        if let failure { throw failure }
        guard let peer else { return [:] }
        return ["net.echo_peer.datagrams": .int(Int64(peer.echoed))]
    }

    /// One probe; an agent-side refusal (`error` frame) becomes an `error` result, anything else
    /// (timeout, closed channel) is returned as the failure that stops the stage.
    private func run(_ request: ProbeRequest, _ client: AgentClient) async -> Result<ProbeResult, AgentError> {
        do {
            return .success(try await client.probe(request, deadline: .now + timeouts.request))
        } catch {
            guard case .remote(let code, let message) = error else { return .failure(error) }
            return .success(ProbeResult(name: request.name, device: request.device, status: .error, facts: [:],
                                        reason: "agent refused the probe: \(code): \(message)"))
        }
    }

    /// Port name -> host socket of every console data port the QEMU adapter created, or that an
    /// external target declares (`console_ports`).
    static func consoleSockets(_ launch: PreparedLaunch) -> [String: String] {
        guard launch.target.adapter == "qemu" else { return launch.consoleSockets }
        var sockets: [String: String] = [:]
        for (index, device) in launch.target.devices.enumerated() where device == .console {
            sockets[QEMUCommandLine.consolePortName(index)] = QEMUCommandLine.consoleSocketPath(index, workspace: launch.workspace.path)
        }
        return sockets
    }

    /// console.transfer with its host end: the receiver connects first, reads while the agent
    /// writes, and its facts join the probe's. A host end that never accepts a connection is the
    /// platform's: the port it declared delivers nothing (`host_pattern_ok = false`, FAIL naming
    /// the socket); a host end the harness cannot even address stays the probe's ERROR.
    private func runTransfer(_ request: ProbeRequest, _ client: AgentClient, socket: String) async -> Result<ProbeResult, AgentError> {
        let receiver: ConsoleReceiver
        do {
            receiver = try await ConsoleReceiver.connect(path: socket, seed: ProbePlan.consoleSeed, count: ProbePlan.consoleBytes,
                                                         deadline: .now + .seconds(5))
        } catch {
            guard let undelivered = ConsoleReceiver.platformFault(error, socket: socket) else {
                return .success(ProbeResult(name: request.name, device: request.device, status: .error, facts: [:],
                                            reason: "host end \(socket) of the console port could not be opened: \(error)"))
            }
            // The guest still writes (its side of the probe is measured); the host received nothing.
            let outcome = await run(request, client)
            guard case .success(var result) = outcome, result.status == .ok else { return outcome }
            result.facts.merge(undelivered) { _, host in host }
            return .success(result)
        }
        let reading = Task { await receiver.receive(deadline: .now + timeouts.request) }
        let outcome = await run(request, client)
        if case .success(var result) = outcome {
            // The agent has written everything it will; give the last bytes a moment to arrive.
            let bound = Task { try? await Task.sleep(for: .seconds(3)); reading.cancel() }
            let host = await reading.value  // a cancelled read ends with what was received so far
            bound.cancel()
            result.facts.merge(host) { _, host in host }
            return .success(result)
        }
        reading.cancel()
        return outcome
    }

    /// QEMU's host-features per virtio device, keyed `qemu.host_features.<pci address>` (QEMU's
    /// internal view: legacy-only bits 24, 27, 30 and net 6 included, see `QEMUVirtioDevice`),
    /// and its virtqueue count, `qemu.num_vqs.<pci address>`.
    /// `known`: QEMU's devices as the corroboration stage already read them (not asked again).
    func hypervisorView(_ guest: RunningGuest, known: [QEMUVirtioDevice]? = nil) async -> [String: FactValue] {
        guard let qmp = guest.qmp else { return [:] }
        do {
            let devices = if let known { known } else { try await QEMUVirtioStatus.query(qmp, deadline: .now + timeouts.request) }
            var observations: [String: FactValue] = ["qemu.virtio_devices": .int(Int64(devices.count))]
            // The inventory was checked against these devices before any verdict used it.
            if known != nil { observations[VerdictBasis.corroborationKey] = .int(Int64(devices.count)) }
            for device in devices {
                let key = device.busAddress ?? device.path
                observations["qemu.host_features.\(key)"] = .list(device.hostFeatures.bits.map { .int(Int64($0)) })
                if let count = device.queueCount { observations["qemu.num_vqs.\(key)"] = .int(Int64(count)) }
            }
            return observations
        } catch {
            return ["qemu.virtio_status_unavailable": .string("\(error)")]
        }
    }

    /// Seconds from the hypervisor process start to the agent's ready event.
    static func bootToAgent(_ stages: StageLog) -> Double? {
        let timings = stages.timings
        guard let start = timings.first(where: { $0.stage == "hypervisor started" }),
              let ready = timings.last(where: { $0.stage == "agent ready" && $0.ok }) else { return nil }
        return ready.startedAt + ready.duration - start.startedAt
    }
}
