import Foundation
import Testing

/// `avps profile ...` as a user runs it.
@Suite("avps profile command line")
struct ProfileCLITests {
    @Test("lint accepts every shipped profile and rejects a broken one with file:line:col")
    func lint() async throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Paths.root.appendingPathComponent("Profiles").path)
            .filter { $0.hasSuffix(".yaml") }.map { "Profiles/\($0)" }
        #expect(shipped.count >= 3)
        let good = try await CLITests.avps(["profile", "lint"] + shipped)
        #expect(good.status == 0, "\(good.stderr)")

        let directory = try Paths.temporaryDirectory("lint")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try Data("""
            schema: 1
            id: bad
            title: Bad
            spec_version: "2.0"
            requirements:
              - key: BAD-01
                title: t
                chapter: Storage
                category: storage
                level: MUSTT
                confidence: derived
                rationale: r
            """.utf8).write(to: bad)
        let run = try await CLITests.avps(["profile", "lint", bad.path])
        #expect(run.status == 2)
        #expect(run.stdout.contains("bad.yaml:10:12:"), "\(run.stdout)")
        #expect(run.stdout.contains("requirements[0].level") && run.stdout.contains("did you mean \"MUST\""), "\(run.stdout)")
    }

    @Test("coverage prints every AVPS 2.0 chapter and the seed device rows")
    func coverage() async throws {
        let run = try await CLITests.avps(["profile", "coverage", "avps-2.0"])
        #expect(run.status == 0, "\(run.stderr)")
        for chapter in ["Storage", "Communication Networks", "GPU Device", "IOMMU Device", "USB", "CAN", "LIN",
                        "FlexRay", "CAN-XL", "MOST", "Watchdog", "Power and System Management", "GPIO", "Sensors",
                        "Audio", "Media codec", "Random Number Generation", "Trusted Execution Environments",
                        "Replay Protected Memory Block", "Crypto acceleration", "Text console",
                        "Filesystem virtualization", "Input", "Memory balloon", "Bluetooth", "Time Sensitive Networks",
                        "Coprocessors"] {
            #expect(run.stdout.contains(chapter), "coverage lacks \(chapter)")
        }
        #expect(run.stdout.contains("machine-checked"))
    }
}
