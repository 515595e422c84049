import AVPSModel
import Foundation
@testable import AgentProtocol
@testable import HypervisorCore
@testable import Runner
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `PowerCutStage`'s decisions that need no guest: when the test runs (opt-in, an adapter that can
/// cut the power, scratch disks) and what boot 2's read-back means. The cut itself is
/// `PowerCutTests` (real QEMU guests).
@Suite("power cut stage")
struct PowerCutStageTests {
    /// A guest of `adapter` with `devices`, able to cut its power when `canCut`.
    func guest(_ adapter: String, _ devices: [DeviceSpec], canCut: Bool) async throws -> RunningGuest {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("avps-power-cut-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let launch = try await ScriptedHypervisor { _ in }.prepare(TargetSpec(name: "scripted", adapter: adapter, devices: devices),
                                                                     boot: BootArtifacts(kernel: "k", initrd: "i", kernelCommandLine: ""),
                                                                     artifactDirectory: artifacts)
        try? FileManager.default.removeItem(at: launch.workspace)
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        close(fds[1])
        var guest = RunningGuest(launch: launch, agent: UnixSocketStream(fd: fds[0], path: "socketpair"), processID: 0)
        if canCut {
            let cut = guest
            guest.powerCut = { cut }
        }
        guest.agent.close()
        return guest
    }

    @Test("runs only on a disk that opted in, on an adapter that can cut the power; otherwise SKIPPED naming why")
    func skipReasons() async throws {
        let optedIn: [DeviceSpec] = [.block(sizeMiB: 16, powerCut: true)]
        #expect(PowerCutStage.skipReason(try await guest("qemu", optedIn, canCut: true)) == nil)
        let libvirt = try #require(PowerCutStage.skipReason(try await guest("libvirt", optedIn, canCut: false)))
        #expect(libvirt.contains("the libvirt adapter cannot cut the guest's power"), "\(libvirt)")
        let off = try #require(PowerCutStage.skipReason(try await guest("qemu", [.block(sizeMiB: 16)], canCut: true)))
        #expect(off.contains("power_cut_test: true"), "\(off)")
        let none = try #require(PowerCutStage.skipReason(try await guest("qemu", [.net], canCut: true)))
        #expect(none.contains("no block device"))
        let kept = try #require(PowerCutStage.skipReason(try await guest("qemu", [.block(sizeMiB: 16, scratch: false, powerCut: true)], canCut: true)))
        #expect(kept.contains("scratch"), "\(kept)")
    }

    @Test("the verdict is boot 2's read-back: the pattern found, bytes that differ, a read that failed")
    func readBack() {
        func read(_ facts: [String: FactValue], status: ProbeResult.Status = .ok) -> [String: FactValue] {
            PowerCutStage.verdict(ProbeResult(name: "block.persistence", device: "virtio2", status: status, facts: facts, reason: "no driver"),
                                  disk: "virtio2")
        }
        #expect(read(["read_ok": .bool(true), "mismatched_bytes": .int(0), "pattern_found": .bool(true)]) == [PowerCutStage.observation: .bool(true)])
        let lost = read(["read_ok": .bool(true), "mismatched_bytes": .int(1_040_000), "pattern_found": .bool(false)])
        #expect(lost[PowerCutStage.observation] == .bool(false))
        #expect(lost[PowerCutStage.detail] == .string("1040000 of the 1048576 bytes written and flushed at offset 1048576 of virtio2 before the power cut differ after it"))
        let unreadable = read(["read_ok": .bool(false), "read_error": .string("read at 1048576: EIO (Input/output error)")])
        #expect(unreadable[PowerCutStage.observation] == .bool(false))
        #expect(unreadable[PowerCutStage.detail] == .string("the read-back after the power cut failed (read at 1048576: EIO (Input/output error))"))
        #expect(read([:], status: .unavailable)[Evidence.notRecordedKey(PowerCutStage.observation)] != nil)
        #expect(PowerCutStage.writeFailure(["write_ok": .bool(true), "flush_ok": .bool(false), "flush_error": .string("fsync: EIO")])
            == "the flush failed (fsync: EIO)")
        #expect(PowerCutStage.writeFailure(["write_ok": .bool(true), "flush_ok": .bool(true)]) == nil)
    }
}
