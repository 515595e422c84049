import AVPSModel
import Foundation
import Testing
@testable import GuestImage

/// The aarch64 build pieces that need no guest: the cross-compiled agent and the ELF checks.
@Suite("aarch64 agent build")
struct AArch64BuildTests {
    private static let agentSource: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Sources/avps-agent")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "Sources/avps-agent")
    }()

    @Test("the agent cross-compiles to a static aarch64 ELF; the x86_64 check refuses it")
    func agentIsStaticAArch64() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("avps-arm-agent-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let built = try await AgentBuilder(cacheRoot: cache, progress: { _ in }, architecture: .aarch64)
            .build(sourceDirectory: Self.agentSource)
        #expect(ELFCheck.staticExecutableProblem(built.binary, machine: GuestArchitecture.aarch64.elfMachine) == nil)
        let wrong = ELFCheck.staticExecutableProblem(built.binary, machine: GuestArchitecture.x86_64.elfMachine)
        #expect(wrong?.contains("183") == true, "\(wrong ?? "accepted")")
        // The key covers the architecture: the host build of the same sources is another entry.
        let host = try await AgentBuilder(cacheRoot: cache, progress: { _ in }).build(sourceDirectory: Self.agentSource)
        #expect(host.binary != built.binary && host.sha256 != built.sha256)
        #expect(ELFCheck.staticExecutableProblem(host.binary, machine: GuestArchitecture.x86_64.elfMachine) == nil)
    }

    @Test("arm64 kernel images are recognised by their magic, anything else is not")
    func armImageMagic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("avps-arm-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var image = [UInt8](repeating: 0, count: 64)
        image.replaceSubrange(0x38..<0x3c, with: [0x41, 0x52, 0x4d, 0x64])
        let plain = dir.appendingPathComponent("Image")
        try Data(image).write(to: plain)
        #expect(ArmKernelImage.format(of: plain) == "arm64-Image")
        let gz = dir.appendingPathComponent("Image.gz")
        try Data([0x1f, 0x8b] + [UInt8](repeating: 0, count: 62)).write(to: gz)
        #expect(ArmKernelImage.format(of: gz) == "arm64-Image.gz")
        let other = dir.appendingPathComponent("bzImage")
        try Data([UInt8](repeating: 0x4d, count: 64)).write(to: other)
        #expect(ArmKernelImage.format(of: other) == nil)
    }

    @Test func privateAptReleaseComesFromOSRelease() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("os-release-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("NAME=\"Debian\"\nVERSION_CODENAME=trixie\n".utf8).write(to: file)
        #expect(AptSetup.hostRelease(osRelease: file.path) == "trixie")
        #expect(AptSetup.hostRelease(osRelease: "/nonexistent") == "bookworm")
    }
}
