import AVPSModel
import Foundation
import Testing
@testable import GuestImage

/// The agent into vendor images, with the real tools: a directory, an ext4 image made by mke2fs and
/// read back with debugfs, and an initramfs overlay read back with cpio.
@Suite(.serialized) struct AgentInjectionTests {
    static let agent = Data("#!agent-stand-in\n".utf8)

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("avps-inject-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func tool(_ path: String, _ arguments: [String], in directory: URL? = nil, input: Data? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = out
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input); try inPipe.fileHandleForWriting.close() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func directoryGetsAgentUnitScriptAndLinks() async throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let files = AgentInjection.files(agent: Self.agent)
        try await RootfsInjector().inject(files, into: root)
        try await RootfsInjector().inject(files, into: root)  // a second injection replaces, never fails
        #expect(try Data(contentsOf: root.appendingPathComponent("usr/local/sbin/avps-agent")) == Self.agent)
        let mode = try FileManager.default.attributesOfItem(atPath: root.path + AgentInjection.agentPath)[.posixPermissions] as? Int
        #expect(mode == 0o755)
        #expect(try FileManager.default.destinationOfSymbolicLink(
            atPath: root.path + "/etc/systemd/system/multi-user.target.wants/avps-agent.service") == AgentInjection.unitPath)
        let unit = try String(contentsOfFile: root.path + AgentInjection.unitPath, encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/sbin/avps-agent"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.path + "/etc/rc3.d/S99avps-agent") == "../init.d/avps-agent")
    }

    @Test func ext4ImageIsEditedInPlaceWithDebugfs() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let image = scratch.appendingPathComponent("rootfs.ext4")
        let made = try Self.tool("/sbin/mke2fs", ["-q", "-t", "ext4", "-F", image.path, "16M"])
        #expect(made.0 == 0, "\(made.1)")
        #expect(try RootfsInjector.kind(of: image) == .ext4Image)
        let files = AgentInjection.files(agent: Self.agent)
        try await RootfsInjector().inject(files, into: image)
        try await RootfsInjector().inject(files, into: image)
        let dumped = scratch.appendingPathComponent("agent")
        let dump = try Self.tool("/sbin/debugfs", ["-R", "dump \(AgentInjection.agentPath) \(dumped.path)", image.path])
        #expect(dump.0 == 0)
        #expect(try Data(contentsOf: dumped) == Self.agent)
        let stat = try Self.tool("/sbin/debugfs", ["-R", "stat \(AgentInjection.agentPath)", image.path]).1
        #expect(stat.contains("Mode:  0755") || stat.contains("Mode:  00755"), "\(stat)")
        #expect(stat.contains("User:     0"), "\(stat)")
        let link = try Self.tool("/sbin/debugfs", ["-R", "stat /etc/systemd/system/multi-user.target.wants/avps-agent.service", image.path]).1
        #expect(link.contains("Fast link dest: \"\(AgentInjection.unitPath)\""), "\(link)")
        let check = try Self.tool("/sbin/e2fsck", ["-fn", image.path])
        #expect(check.0 == 0, "the image must stay consistent: \(check.1)")
    }

    @Test func neitherDirectoryNorExt4IsRefusedWithTheReason() throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let disk = scratch.appendingPathComponent("disk.img")
        try Data(count: 4096).write(to: disk)
        #expect(throws: GuestImageError.self) { try RootfsInjector.kind(of: disk) }
        #expect(throws: GuestImageError.self) { try RootfsInjector.kind(of: scratch.appendingPathComponent("missing")) }
    }

    @Test func initramfsOverlayAppendsASecondArchiveAfterPadding() throws {
        let vendor = Data("070701 vendor bytes".utf8)  // 19 bytes: padded to 20
        let combined = InitramfsOverlay.combine(vendor: vendor, agent: Self.agent)
        #expect(combined.prefix(vendor.count) == vendor)
        #expect(combined[vendor.count] == 0)
        let overlay = combined.dropFirst(20)
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let listing = try Self.tool("/usr/bin/cpio", ["-it"], in: scratch, input: Data(overlay))
        #expect(listing.0 == 0, "\(listing.1)")
        #expect(listing.1.contains("sbin/avps-agent") && listing.1.contains("avps-init"))
        #expect(InitramfsOverlay.wrapper.contains("exec /init \"$@\""))
        #expect(InitramfsOverlay.kernelParameter == "rdinit=/avps-init")
    }
}
