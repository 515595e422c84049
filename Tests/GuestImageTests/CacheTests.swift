import Foundation
import Testing
@testable import GuestImage

@Suite struct CacheTests {
    @Test func aptResolutionIsForgottenWhenListsChange() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("avps-apt-\(UUID().uuidString)")
        let lists = dir.appendingPathComponent("lists")
        try FileManager.default.createDirectory(at: lists, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("a".utf8).write(to: lists.appendingPathComponent("Packages"))

        let cache = AptResolutionCache(directory: dir)
        let before = AptResolutionCache.fingerprint(roots: [lists.path])
        cache.store("linux-image-amd64", package: "linux-image-6.1.0-1-amd64", version: "1", fingerprint: before)
        #expect(cache.lookup("linux-image-amd64", fingerprint: before)?.package == "linux-image-6.1.0-1-amd64")
        #expect(cache.lookup("linux-image-cloud-amd64", fingerprint: before) == nil)

        try Data("ab".utf8).write(to: lists.appendingPathComponent("Packages")) // apt-get update
        let after = AptResolutionCache.fingerprint(roots: [lists.path])
        #expect(after != before)
        #expect(cache.lookup("linux-image-amd64", fingerprint: after) == nil)
    }

    @Test func publishKeepsTheWinnerWhenDestinationExists() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("avps-pub-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try CacheFiles.makeTemporaryDirectory(in: dir)
        try Data("1".utf8).write(to: first.appendingPathComponent("f"))
        let second = try CacheFiles.makeTemporaryDirectory(in: dir)
        try Data("2".utf8).write(to: second.appendingPathComponent("f"))
        let final = dir.appendingPathComponent("entry")
        try CacheFiles.publish(first, as: final)
        try CacheFiles.publish(second, as: final) // lost the race: discarded, no error
        #expect(try Data(contentsOf: final.appendingPathComponent("f")) == Data("1".utf8))
        #expect(!FileManager.default.fileExists(atPath: second.path))
    }

    @Test func busyboxOnThisHostIsStatic() {
        #expect(ELFCheck.staticExecutableProblem(URL(fileURLWithPath: "/bin/busybox")) == nil,
                "install busybox-static")
        #expect(ELFCheck.staticExecutableProblem(URL(fileURLWithPath: "/bin/ls")) != nil, "ls is dynamic")
    }

    @Test func kernelAndModulesMustComeTogether() async {
        let builder = GuestImageBuilder()
        let request = GuestImageRequest(kernel: URL(fileURLWithPath: "/nonexistent/vmlinuz"),
                                        cacheRoot: FileManager.default.temporaryDirectory)
        await #expect(throws: GuestImageError.self) { _ = try await builder.build(request) }
        do {
            _ = try await builder.build(request)
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.description.contains("--modules"))
        }
    }
}
