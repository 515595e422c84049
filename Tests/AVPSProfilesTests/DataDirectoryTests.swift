import AVPSModel
import Testing

/// Where avps finds its shipped data, driven by a table of directories instead of a real tree.
@Suite struct DataDirectoryTests {
    /// A checkout in /src/avps and an installation under /usr.
    static let tree: Set<String> = [
        "/src/avps/Profiles", "/src/avps/Suites", "/src/avps/Sources", "/src/avps/Sources/avps-agent",
        "/usr/share/avps/Profiles", "/usr/share/avps/Suites", "/usr/share/avps/agent",
    ]

    func locate(cwd: String, exe: String?, env: [String: String] = [:], tree: Set<String> = tree) -> DataDirectory? {
        DataDirectory.locate(environment: env, workingDirectory: cwd, executable: exe, isDirectory: tree.contains)
    }

    @Test func aCheckoutAboveTheWorkingDirectoryWins() {
        let found = locate(cwd: "/src/avps/ci", exe: "/usr/bin/avps")
        #expect(found == DataDirectory(root: "/src/avps", layout: .checkout))
        #expect(found?.agentSource == "/src/avps/Sources/avps-agent")
        #expect(found?.prebuiltAgent(for: .x86_64) == nil)
        #expect(found?.runsDirectory(workingDirectory: "/src/avps/ci") == "/src/avps/Reports/runs")
    }

    @Test func anInstalledBinaryFindsItsShareFromAnyDirectory() {
        let found = locate(cwd: "/tmp/work", exe: "/usr/bin/avps")
        #expect(found == DataDirectory(root: "/usr/share/avps", layout: .installed))
        #expect(found?.agentSource == "/usr/share/avps/agent")
        #expect(found?.prebuiltAgent(for: .aarch64) == "/usr/share/avps/agent/prebuilt/aarch64/avps-agent")
        // The share directory is not the user's to write: runs go under the working directory.
        #expect(found?.runsDirectory(workingDirectory: "/tmp/work") == "/tmp/work/Reports/runs")
    }

    @Test func aBuiltBinaryFindsTheCheckoutAboveIt() {
        let found = locate(cwd: "/tmp", exe: "/src/avps/.build/debug/avps")
        #expect(found == DataDirectory(root: "/src/avps", layout: .checkout))
    }

    @Test func avpsHomeNamesEitherLayoutAndWins() {
        #expect(locate(cwd: "/src/avps", exe: nil, env: ["AVPS_HOME": "/usr/share/avps/"])
            == DataDirectory(root: "/usr/share/avps", layout: .installed))
        #expect(locate(cwd: "/", exe: "/usr/bin/avps", env: ["AVPS_HOME": "/src/avps/ci/.."])
            == DataDirectory(root: "/src/avps", layout: .checkout))
    }

    @Test func anAvpsHomeWithoutDataFallsBackToTheOtherPlaces() {
        #expect(locate(cwd: "/tmp", exe: "/usr/bin/avps", env: ["AVPS_HOME": "/nowhere"])?.root == "/usr/share/avps")
    }

    @Test func aBareBinaryHasNoDataDirectory() {
        #expect(locate(cwd: "/tmp", exe: "/opt/tools/avps") == nil)
        #expect(locate(cwd: "/tmp", exe: nil) == nil)
        #expect(locate(cwd: "/", exe: "avps", tree: []) == nil)
    }
}
