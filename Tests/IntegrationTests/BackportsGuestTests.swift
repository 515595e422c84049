import AVPSModel
import Foundation
import GuestImage
import HypervisorCore
import QEMUHypervisor
import Runner
import Testing

/// Built once for the suite: QEMU 10 and the 6.12 guest (with virtio_snd) from bookworm-backports.
actor BackportsFixture {
    static let shared = BackportsFixture()
    private var built: (QEMUInstallation, BootArtifacts)?

    func resources() async throws -> (qemu: QEMUInstallation, boot: BootArtifacts) {
        if let built { return built }
        let cache = GuestImageBuilder.defaultCacheRoot()
        let qemu = try await QEMUProvider(cacheRoot: cache).backports()
        let request = GuestImageRequest(agentSource: Paths.root.appendingPathComponent("Sources/avps-agent"), cacheRoot: cache,
                                        wantedModules: GuestImageRequest.modules(forDeviceKinds: ["sound"]),
                                        kernelOrigin: .backports)
        let guest = try await GuestImageBuilder().build(request)
        built = (qemu.installation, guest.bootArtifacts)
        return (qemu.installation, guest.bootArtifacts)
    }
}

/// Two real implementations on one machine: the system's QEMU 7.2 and QEMU 10 from backports, the
/// same 6.12 reference guest on both, with a virtio-sound device only QEMU 10 can offer.
@Suite("QEMU 10 and Linux 6.12 from bookworm-backports", .guestSlot(minutes: 6), .timeLimit(.minutes(20)))
struct BackportsGuestTests {
    private func run(_ target: TargetSpec) async throws -> TargetResult {
        let (qemu, boot) = try await BackportsFixture.shared.resources()
        let profile = try LoadedProfile.load(Paths.root.appendingPathComponent("Profiles/avps-2.0.yaml"))
        let runDirectory = try Paths.temporaryDirectory(target.name)
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let runner = TargetRunner(hypervisor: QEMUAdapter(cacheDirectory: nil, installations: [qemu]), boot: boot,
                                  timeouts: RunTimeouts(boot: .seconds(180)))
        let outcome = try await runner.run(target, profiles: [profile],
                                           artifactDirectory: runDirectory.appendingPathComponent(target.name),
                                           runDirectory: runDirectory)
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "\(result.infraError ?? "")")
        #expect(processesMentioning("avps-\(target.name)").isEmpty)
        return result
    }

    private func verdict(_ key: String, _ result: TargetResult) -> RequirementResult? {
        result.results.first { $0.key == key }
    }

    @Test("QEMU 10 offers virtio-sound; the 6.12 guest drives it and ALSA shows its PCMs; versions recorded")
    func qemu10Sound() async throws {
        let result = try await run(TargetSpec(name: "it-bpo-qemu10", accelerator: "tcg",
                                              devices: [.entropy, .sound], qemuFrom: .backports, kernelFrom: .backports))
        let version = try #require(result.hypervisorVersion)
        #expect(version.hasPrefix("QEMU emulator version 10."), "\(version)")
        #expect(result.commandLine.contains { $0.hasPrefix("QEMU_MODULE_DIR=") })
        #expect(result.guestKernel?.contains("6.12") == true, "\(result.guestKernel ?? "nil")")
        let evidence = try #require(result.evidence)
        #expect(evidence.guest.kernelRelease.hasPrefix("6.12"), "\(evidence.guest.kernelRelease)")

        let sound = try #require(evidence.devices.first { $0.deviceID == 25 }, "no virtio-sound in \(evidence.devices.map(\.deviceID))")
        #expect(sound.driver == "virtio_snd")
        #expect(sound.config?["streams"] == .int(2))  // QEMU's default: one output, one input
        #expect(sound.config?["jacks"] != nil && sound.config?["chmaps"] != nil)
        let probe = try #require(evidence.probes.first { $0.name == "sound.pcms" })
        #expect(probe.status == .ok, "\(probe.reason ?? "")")
        #expect(probe.facts["playback_devices"] == .int(1))
        #expect(probe.facts["capture_devices"] == .int(1))
        #expect(probe.facts["directions"] == .list([.string("playback"), .string("capture")]))
        #expect(probe.facts["control_open"] == .bool(true))
        for key in ["AVPS2-SND-01", "AVPS2-SND-02", "AVPS2-SND-04"] {
            #expect(verdict(key, result)?.verdict == .pass, "\(key): \(verdict(key, result)?.reason ?? "missing")")
        }
    }

    @Test("the system's QEMU 7.2 boots the 6.12 guest without the sound device it lacks, and says why")
    func qemu72WithholdsSound() async throws {
        let result = try await run(TargetSpec(name: "it-bpo-qemu72", accelerator: "tcg",
                                              devices: [.entropy, .sound], kernelFrom: .backports))
        #expect(result.hypervisorVersion?.hasPrefix("QEMU emulator version 7.2") == true, "\(result.hypervisorVersion ?? "nil")")
        #expect(!result.commandLine.contains { $0.contains("virtio-sound") })
        let evidence = try #require(result.evidence)
        #expect(evidence.guest.kernelRelease.hasPrefix("6.12"))
        #expect(!evidence.devices.contains { $0.deviceID == 25 })
        #expect(evidence.devices.contains { $0.deviceID == 4 && $0.driver != nil })
        let snd = try #require(verdict("AVPS2-SND-01", result))
        #expect(snd.verdict == .notApplicable)
        #expect(snd.reason.contains("cannot offer") && snd.reason.contains("virtio-sound-pci"), "\(snd.reason)")
    }
}
