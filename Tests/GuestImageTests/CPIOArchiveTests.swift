import Foundation
import Testing
@testable import GuestImage

/// Checks our newc writer against GNU cpio, the reference reader available on Debian.
@Suite struct CPIOArchiveTests {
    static func sampleArchive() -> CPIOArchive {
        var archive = CPIOArchive()
        archive.addFile("/init", contents: Data("#!/bin/sh\necho hi\n".utf8), permissions: 0o755)
        archive.addFile("etc/secret", contents: Data("x".utf8), permissions: 0o600)
        archive.addFile("lib/modules/6.1/kernel/a.ko", contents: Data((0..<1001).map { UInt8($0 % 251) }))
        archive.addFile("empty", contents: Data(), permissions: 0o644)
        archive.addSymlink("bin/sh", target: "busybox")
        archive.addFile("bin/busybox", contents: Data("not really busybox".utf8), permissions: 0o755)
        archive.addDirectory("proc", permissions: 0o555)
        archive.addCharacterDevice("dev/console", major: 5, minor: 1)
        return archive
    }

    /// A scratch directory removed when the test ends.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("avps-cpio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await body(dir)
    }

    @Test func layoutFollowsNewcRules() {
        let data = Self.sampleArchive().serialized()
        #expect(data.count % 4 == 0)
        #expect(data.prefix(6) == Data("070701".utf8))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("TRAILER!!!"))
        // Parents precede children, sorted, with generated parents (lib, lib/modules, ...).
        let paths = Self.sampleArchive().sortedEntries.map(\.path)
        #expect(paths == ["bin", "bin/busybox", "bin/sh", "dev", "dev/console", "empty", "etc", "etc/secret", "init",
                          "lib", "lib/modules", "lib/modules/6.1", "lib/modules/6.1/kernel",
                          "lib/modules/6.1/kernel/a.ko", "proc"])
    }

    @Test func outputIsDeterministicRegardlessOfInsertionOrder() {
        var reversed = CPIOArchive()
        for entry in Self.sampleArchive().sortedEntries.reversed() {
            switch entry.kind {
            case .directory: reversed.addDirectory(entry.path, permissions: entry.permissions)
            case .file(let data): reversed.addFile(entry.path, contents: data, permissions: entry.permissions)
            case .symlink(let target): reversed.addSymlink(entry.path, target: target)
            case let .characterDevice(major, minor): reversed.addCharacterDevice(entry.path, major: major, minor: minor)
            }
        }
        #expect(reversed.serialized() == Self.sampleArchive().serialized())
    }

    @Test func gnuCpioListsEveryEntry() async throws {
        try await Self.withTemporaryDirectory { dir in
            let archiveURL = dir.appendingPathComponent("test.cpio")
            try Self.sampleArchive().write(to: archiveURL)
            let cpio = HostTool(name: "cpio", installHint: "apt-get install cpio")
            let listing = try await cpio.capture(["-t", "-v", "--quiet", "-F", archiveURL.path])
            #expect(listing.succeeded, "\(listing.stderr)")
            let lines = listing.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 15)
            #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix(" init") })
            #expect(lines.contains { $0.hasPrefix("-rw-------") && $0.hasSuffix(" etc/secret") })
            #expect(lines.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix(" bin/sh -> busybox") })
            #expect(lines.contains { $0.hasPrefix("crw-------") && $0.contains("5,") && $0.hasSuffix(" dev/console") })
            #expect(lines.contains { $0.hasPrefix("dr-xr-xr-x") && $0.hasSuffix(" proc") })
        }
    }

    @Test func gnuCpioExtractsIdenticalContent() async throws {
        try await Self.withTemporaryDirectory { dir in
            let archiveURL = dir.appendingPathComponent("test.cpio")
            let out = dir.appendingPathComponent("root")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Self.sampleArchive().write(to: archiveURL)
            let cpio = HostTool(name: "cpio", installHint: "apt-get install cpio")
            let result = try await cpio.capture(["-i", "-d", "--quiet", "--no-absolute-filenames",
                                                 "-D", out.path, "-F", archiveURL.path])
            #expect(result.succeeded, "\(result.stderr)")
            let fm = FileManager.default
            #expect(try Data(contentsOf: out.appendingPathComponent("init")) == Data("#!/bin/sh\necho hi\n".utf8))
            #expect(try Data(contentsOf: out.appendingPathComponent("lib/modules/6.1/kernel/a.ko"))
                    == Data((0..<1001).map { UInt8($0 % 251) }))
            #expect(try Data(contentsOf: out.appendingPathComponent("empty")).isEmpty)
            #expect(try fm.destinationOfSymbolicLink(atPath: out.appendingPathComponent("bin/sh").path) == "busybox")
            let initMode = try fm.attributesOfItem(atPath: out.appendingPathComponent("init").path)[.posixPermissions] as? Int
            #expect(initMode == 0o755)
            let secretMode = try fm.attributesOfItem(atPath: out.appendingPathComponent("etc/secret").path)[.posixPermissions] as? Int
            #expect(secretMode == 0o600)
            let consoleType = try fm.attributesOfItem(atPath: out.appendingPathComponent("dev/console").path)[.type] as? FileAttributeType
            #expect(consoleType == .typeCharacterSpecial)
        }
    }
}
