import AgentProtocol
import Foundation
import HypervisorCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A guest that reboots while our vsock backend runs: QEMU resets the device (GET_VRING_BASE,
/// then a fresh feature/memory-table/ring set-up when the new driver starts), the backend must
/// drop the old connections, serve the rebooted guest, and leak nothing on the way.
@Suite("vsock across a guest reboot", .guestSlot(minutes: 6), .serialized, .timeLimit(.minutes(20)))
struct VsockRebootTests {
    /// Descriptors and guest-RAM mappings the backend holds (what a reset could leak).
    static func resources(of pid: Int32) -> (fds: Int, mappings: Int) {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
        return (fds, maps.split(separator: "\n").filter { $0.contains("memfd") }.count)
    }

    /// Polls until the backend holds what it held before (connections close asynchronously).
    static func settles(_ pid: Int32, to expected: (fds: Int, mappings: Int)) async -> (fds: Int, mappings: Int) {
        var now = resources(of: pid)
        let deadline = ContinuousClock.now + .seconds(15)
        while now != expected && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            now = resources(of: pid)
        }
        return now
    }

    @Test("reset mid-transfer: the agent answers over vsock again, a transfer checks out, nothing leaks")
    func rebootMidTransfer() async throws {
        let (adapter, prepared) = try await VsockGuestTests.launch("it-vsock-reboot")
        var rebooting = prepared
        rebooting.commandLine.removeAll { $0 == "-no-reboot" }  // a reset must restart the guest, not end QEMU
        let launch = rebooting
        defer { try? FileManager.default.removeItem(at: launch.serialLog.deletingLastPathComponent().deletingLastPathComponent()) }
        try await adapter.withRunningGuest(launch, timeouts: LaunchTimeouts(), stages: StageLog()) { guest in
            let first = AgentClient(stream: guest.agent)
            _ = try await first.waitForReady(deadline: .now + .seconds(120))
            _ = try await first.hello(deadline: .now + .seconds(30))
            let backend = try #require(VsockGuestTests.backends(of: launch).first)
            let before = Self.resources(of: backend)
            #expect(before.fds > 0 && before.mappings > 0, "cannot observe the backend: \(before)")

            // A bulk transfer is running when the machine resets.
            let bulk = try #require(try await guest.vsockStream(port: RunningGuest.agentBulkPort))
            try await bulk.write(Array("source \(1 << 30)\n".utf8), deadline: .now + .seconds(30))
            let started = try await bulk.read(maxBytes: 1 << 16, deadline: .now + .seconds(30), waitingFor: "bulk data")
            try #require(!started.isEmpty)
            try await #require(guest.qmp).execute("system_reset", deadline: .now + .seconds(10))

            // The old connections end (the backend drops them with the driver), they do not hang.
            let cut = ContinuousClock.now + .seconds(60)
            while let bytes = try? await bulk.read(maxBytes: 1 << 20, deadline: cut, waitingFor: "end of the old stream"),
                  !bytes.isEmpty {}
            #expect(ContinuousClock.now < cut, "the old bulk stream outlived the reset")
            bulk.close()
            guest.agent.close()

            // The rebooted guest's agent is reachable over vsock through the same backend.
            let control = try #require(try await guest.vsockStream(port: RunningGuest.agentBulkPort - 1))
            let second = AgentClient(stream: control)
            _ = try await second.waitForReady(deadline: .now + .seconds(150))
            let identity = try await second.hello(deadline: .now + .seconds(30))
            #expect(identity.machine == "x86_64")
            try await VsockGuestTests.expectEcho(of: 1 << 20, through: guest)
            #expect(VsockGuestTests.backends(of: launch) == [backend], "the backend did not survive the reset")

            // Same descriptors and guest-RAM mappings as before the reset, with one agent stream open.
            let after = await Self.settles(backend, to: before)
            #expect(after == before, "backend held \(before) before the reset, \(after) after")
            let serial = (try? String(contentsOf: launch.serialLog, encoding: .utf8)) ?? ""
            #expect(serial.components(separatedBy: "avps-init: starting agent").count - 1 == 2, "expected exactly two boots")
            try await second.poweroff(deadline: .now + .seconds(30))
        }
        #expect(processesMentioning("avps-it-vsock-reboot").isEmpty)
        #expect(VsockGuestTests.backends(of: launch).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: launch.workspace.path))
    }
}
