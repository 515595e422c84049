import AVPSModel
import AgentProtocol
import Foundation
import HypervisorCore

/// The live part of a libvirt launch: connect, create the domain paused, attach the agent, resume,
/// hand the guest to the caller, and stop the domain whatever happens.
struct LibvirtSession: Sendable {
    let launch: PreparedLaunch
    let uri: String
    let xml: String
    let domainName: String
    let timeouts: LaunchTimeouts
    let stages: StageLog

    func run<T: Sendable>(_ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        let connection: LibvirtConnection
        do {
            connection = try await stages.run("libvirt connected") { () async throws(LibvirtError) in
                try await LibvirtConnection.open(uri)
            }
        } catch {
            throw HypervisorError.launchFailed("\(error) (is libvirtd running? `ci/libvirtd start` starts one)")
        }
        var domain: LibvirtDomain?
        var agent: UnixSocketStream?
        do {
            let started = try await stages.run("hypervisor started") { () async throws -> (LibvirtDomain, UnixSocketStream) in
                try await start(connection, domain: &domain)
            }
            agent = started.1
            let value = try await whileRunning(started.0, agent: started.1, body)
            await stop(started.0, graceful: true)
            await finish(connection, domain: started.0)
            return value
        } catch {
            let vanished = await domain?.hasStopped ?? false
            if let domain { await stop(domain, graceful: false) }
            agent?.close()
            await finish(connection, domain: domain)
            if vanished && !(error is CancellationError) && !(error as? AgentError == .cancelled) {
                throw HypervisorError.exitedEarly(status: "libvirt domain \(domainName) stopped", detail: launch.stderrTail)
            }
            if let error = error as? LibvirtError { throw error.hypervisorError }
            throw error
        }
    }

    /// Create paused, connect to the agent's socket, then resume: the host listens before the guest runs.
    private func start(_ connection: LibvirtConnection, domain: inout LibvirtDomain?) async throws -> (LibvirtDomain, UnixSocketStream) {
        let created = try await connection.createTransient(xml: xml, name: domainName, paused: true,
                                                           autodestroy: !uri.contains("/embed"))
        domain = created
        let agent = try await UnixSocketStream.connect(path: launch.agentSocket, deadline: .now + timeouts.control)
        do {
            try await created.resume()
        } catch {
            agent.close()
            throw error
        }
        return (created, agent)
    }

    /// Runs the caller's body; a domain that stops meanwhile closes the agent stream, turning a long
    /// read timeout into an immediate, explained failure.
    private func whileRunning<T: Sendable>(_ domain: LibvirtDomain, agent: UnixSocketStream,
                                           _ body: @Sendable (RunningGuest) async throws -> T) async throws -> T {
        try await whileWatching(agent, every: .milliseconds(200), hasEnded: { await domain.hasStopped }) {
            try await body(RunningGuest(launch: launch, agent: agent, processID: qemuProcessID() ?? 0))
        }
    }

    /// The guest's own poweroff (when the caller asked for one), then ACPI shutdown, then destroy.
    /// Runs in a fresh task so it completes even when the caller was cancelled.
    private func stop(_ domain: LibvirtDomain, graceful: Bool) async {
        let grace = graceful ? timeouts.shutdown : .zero
        await Task {
            if await domain.waitUntilStopped(timeout: grace) { return }
            if graceful {
                try? await domain.shutdown()
                if await domain.waitUntilStopped(timeout: .seconds(2)) { return }
            }
            try? await domain.destroy()
            _ = await domain.waitUntilStopped(timeout: .seconds(5))
        }.value
    }

    /// Releases the handles; closing the connection is what lets AUTODESTROY act on leftovers.
    private func finish(_ connection: LibvirtConnection, domain: LibvirtDomain?) async {
        copyQEMULog()
        await domain?.free()
        await connection.close()
    }

    /// QEMU's pid from libvirtd's state directory (local system daemon only), for host observations.
    private func qemuProcessID() -> Int32? {
        let text = try? String(contentsOfFile: "/run/libvirt/qemu/\(domainName).pid", encoding: .utf8)
        return text.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// libvirtd writes QEMU's stderr to its own log (stdio_handler = "file"); keep a copy of its
    /// tail as the `hypervisor_stderr` artifact when it is readable here (the log is libvirtd's,
    /// appended across runs of the same name, and as large as QEMU made it).
    private func copyQEMULog() {
        FileTail.copy(URL(fileURLWithPath: "/var/log/libvirt/qemu/\(domainName).log"), to: launch.stderrLog)
    }

}

extension LibvirtDomain {
    /// Stopped or gone; a state that cannot be read counts as stopped (the domain is unreachable).
    var hasStopped: Bool {
        get async { (try? await state())?.hasStopped ?? true }
    }

    func waitUntilStopped(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await hasStopped { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await hasStopped
    }
}
