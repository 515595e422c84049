import AVPSModel
import Foundation
import Testing

/// Real LAVA: `avps lava export`, the device dictionary rendered with lava-server's own qemu
/// template, `lava-run` (Debian's lava-dispatcher, run without a server) booting the guest, and the
/// exported `avps_run` command scoring it. Needs root (lava-run refuses otherwise) and the packages
/// ci/setup installs.
@Suite("LAVA jobs", .guestSlot(minutes: 5), .serialized, .timeLimit(.minutes(20)))
struct LavaJobTests {
    /// lava-server's device-type templates (`qemu.jinja2`, `base.jinja2`), unpacked from its Debian
    /// package into the cache once: lava-server itself (Django, PostgreSQL) is never installed.
    static func templates() async throws -> URL {
        let cache = URL(fileURLWithPath: ProcessInfo.processInfo.environment["AVPS_CACHE"]
                        ?? NSHomeDirectory() + "/.cache/avps").appendingPathComponent("lava-server")
        let types = cache.appendingPathComponent("usr/share/lava-server/device-types")
        if FileManager.default.fileExists(atPath: types.appendingPathComponent("qemu.jinja2").path) { return types }
        let scratch = try Paths.temporaryDirectory("lava-server-deb")
        let download = try await run("/usr/bin/apt-get", ["download", "lava-server"], in: scratch)
        #expect(download.status == 0, "apt-get download lava-server: \(download.stderr)")
        let deb = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path).first { $0.hasSuffix(".deb") })
        let unpacked = scratch.appendingPathComponent("root")
        let extract = try await run("/usr/bin/dpkg-deb", ["-x", deb, unpacked.path], in: scratch)
        #expect(extract.status == 0, "dpkg-deb -x: \(extract.stderr)")
        try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: cache)
        try FileManager.default.moveItem(at: unpacked, to: cache)
        return types
    }

    static func run(_ program: String, _ arguments: [String], in directory: URL) async throws -> CLITests.Run {
        try await CLITests.avps(arguments, executable: URL(fileURLWithPath: program), directory: directory)
    }

    /// Renders the dictionary the way lava-server does (jinja2 with the device-types on the path).
    static func render(dictionary: URL, templates: URL, into device: URL) async throws {
        let script = """
            import sys, yaml, jinja2
            env = jinja2.Environment(loader=jinja2.FileSystemLoader([sys.argv[1], sys.argv[2]]), trim_blocks=True, autoescape=False)
            out = env.get_template(sys.argv[3]).render(arch=sys.argv[4])
            yaml.safe_load(out)
            open(sys.argv[5], "w").write(out)
            """
        let rendered = try await run("/usr/bin/python3", ["-c", script, dictionary.deletingLastPathComponent().path, templates.path,
                                                          dictionary.lastPathComponent, "amd64", device.path],
                                     in: dictionary.deletingLastPathComponent())
        #expect(rendered.status == 0, "render: \(rendered.stderr)")
    }

    struct Job {
        var status: Int32
        var result: String
        var runDirectory: URL
        var seconds: Double
        var log: String
        /// The one-target suite the job was exported from.
        var suite: URL

        /// The device directory the job leaves on the worker (it holds avps's run).
        func remove() { try? FileManager.default.removeItem(at: runDirectory.deletingLastPathComponent()) }
    }

    /// Exports `devices` as a one-target suite, renders, runs it through lava-run.
    static func lavaJob(_ name: String, devices: String, kernelAppend: String? = nil, agentChannel: String? = nil,
                        bootTimeout: Int = 20, autonomous: Bool = false) async throws -> Job {
        let directory = try Paths.temporaryDirectory("lava-\(name)")
        let suite = directory.appendingPathComponent("suite.yaml")
        try Data("""
            schema: 1
            name: \(name)
            profiles: [avps-2.0]
            targets:
              - name: \(name)
                adapter: qemu
                machine: q35
                memory_mib: 256
                devices: \(devices)
            \(kernelAppend.map { "    kernel_append: [\($0)]" } ?? "")
            \(agentChannel.map { "    agent_channel: \($0)" } ?? "")
            """.utf8).write(to: suite)
        let export = try await CLITests.avps(["lava", "export", suite.path, "--out", directory.appendingPathComponent("out").path,
                                              "--avps", CLITests.binary.path, "--boot-timeout", String(bootTimeout)] + (autonomous ? ["--autonomous"] : []))
        #expect(export.status == 0, "export: \(export.stderr)")
        #expect(export.stdout.contains("valid for lava-common, strict"), "\(export.stdout)")
        let exported = directory.appendingPathComponent("out/\(name)")
        let device = directory.appendingPathComponent("device.yaml")
        try await render(dictionary: exported.appendingPathComponent("avps-\(name).jinja2"), templates: try await templates(),
                         into: device)
        let output = directory.appendingPathComponent("lava-output")
        let start = Date()
        let lava = try await run("/usr/bin/lava-run", ["--job-id", String(Int.random(in: 1000...999_999)), "--output-dir", output.path,
                                                        "--device", device.path, exported.appendingPathComponent("job.yaml").path],
                                 in: directory)
        let seconds = Date().timeIntervalSince(start)
        let result = (try? String(contentsOf: output.appendingPathComponent("result.yaml"), encoding: .utf8)) ?? ""
        let runDirectory = URL(fileURLWithPath: "/run/avps-lava/avps-\(name)/run")
        return Job(status: lava.status, result: result, runDirectory: runDirectory, seconds: seconds, log: lava.stderr, suite: suite)
    }

    static func verdicts(_ run: URL) throws -> [String: String] {
        verdictWords(try finishedRun(run).targets.first)
    }

    static let devices = "[{block: {size_mib: 64}}, net, entropy, console, balloon, watchdog]"

    @Test("LAVA boots the guest, avps attaches: verdicts equal a direct run (console transfer included) but for the QMP self-check")
    func attachedJobMatchesDirectRun() async throws {
        let job = try await Self.lavaJob("lava-attached", devices: Self.devices, agentChannel: "virtio-serial")
        defer { job.remove() }
        #expect(job.status == 0, "lava-run: \(job.log.suffix(3000))")
        #expect(job.result.contains("result: pass"), "\(job.result)")
        let lava = try Self.verdicts(job.runDirectory)
        #expect(lava.count > 80)

        let (reference, directSeconds) = try await Self.directRun("lava-direct", devices: Self.devices, agentChannel: "virtio-serial")
        let differing = Set(reference.keys).union(lava.keys).filter { reference[$0] != lava[$0] }
        // The attached suite declares the console ports' host ends (CON-04 decided on the host) and its
        // disks scratch (LAVA deploys fresh ones, so the write tests run). One documented difference:
        // the attached (external) target has no QMP, so the inventory self-check does not apply there.
        #expect(differing == ["AVPS2-SELF-01"] && lava["AVPS2-SELF-01"] == "NOT_APPLICABLE" && lava["AVPS2-CON-04"] == "PASS",
                "differ: \(differing.sorted().map { "\($0) direct \(reference[$0] ?? "-") lava \(lava[$0] ?? "-")" })")
        print("lava-job: LAVA job \(String(format: "%.2f", job.seconds)) s, direct avps run \(String(format: "%.2f", directSeconds)) s, "
              + "ratio \(String(format: "%.2f", job.seconds / directSeconds))")
    }

    @Test("vsock: the job starts avps vsockd before QEMU and stops it; avps attaches over vsock; verdicts equal a direct run but for the QMP self-check")
    func vsockJobMatchesDirectRun() async throws {
        let devices = "[{block: {size_mib: 64}}, net, entropy, balloon, watchdog, vsock]"
        let job = try await Self.lavaJob("lava-vsock", devices: devices, agentChannel: "vsock")
        defer { job.remove() }
        #expect(job.status == 0, "lava-run: \(job.log.suffix(3000))")
        #expect(job.result.contains("result: pass"), "\(job.result)")
        #expect(job.log.contains("Running cleanup for user command 'avps_prepare'"), "the undo stops the backend")
        // Nothing of the backend is left: no process, no socket (the run directory and its log stay).
        let directory = job.runDirectory.deletingLastPathComponent()
        #expect(processesMentioning(directory.path + "/vhost-vsock.sock").isEmpty, "vsockd left running")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        #expect(Set(left).isSubset(of: ["run", "vsockd.log"]), "\(left)")
        let lava = try Self.verdicts(job.runDirectory)
        let run = try #require(try finishedRun(job.runDirectory).targets.first)
        // Measured through the backend the job started (the agent's bulk port on the same hybrid socket).
        let observed = run.evidence?.hostObservations ?? [:]
        #expect(observed["agent_channel"] == .string("vsock-user") && observed["vsock_throughput_guest_to_host_mbps"] != nil,
                "\(observed.filter { $0.key.contains("vsock") || $0.key == "agent_channel" })")

        let (reference, directSeconds) = try await Self.directRun("lava-vsock-direct", devices: devices, agentChannel: "vsock")
        let differing = Set(reference.keys).union(lava.keys).filter { reference[$0] != lava[$0] }
        // The one documented difference, as over virtio-serial: no QMP on the attached target.
        #expect(differing == ["AVPS2-SELF-01"] && lava["AVPS2-SELF-01"] == "NOT_APPLICABLE",
                "differ: \(differing.sorted().map { "\($0) direct \(reference[$0] ?? "-") lava \(lava[$0] ?? "-")" })")
        for key in lava.keys where key.hasPrefix("AVPS2-VSOCK-") { #expect(lava[key] == "PASS", "\(key): \(lava[key] ?? "-")") }
        print("lava-vsock: LAVA job \(String(format: "%.2f", job.seconds)) s, direct avps run \(String(format: "%.2f", directSeconds)) s, "
              + "ratio \(String(format: "%.2f", job.seconds / directSeconds))")
    }

    /// The same device set run directly by `avps run`, with the agent channel the LAVA job had.
    static func directRun(_ name: String, devices: String = Self.devices, agentChannel: String = "virtio-serial") async throws
        -> ([String: String], Double) {
        let directory = try Paths.temporaryDirectory(name)
        let suite = directory.appendingPathComponent("suite.yaml")
        try Data("""
            schema: 1
            name: \(name)
            profiles: [avps-2.0]
            targets:
              - name: \(name)
                adapter: qemu
                machine: q35
                memory_mib: 256
                accelerator: tcg
                agent_channel: \(agentChannel)
                devices: \(devices)
            """.utf8).write(to: suite)
        let start = Date()
        let direct = try await CLITests.avps(["run", suite.path, "--out", directory.appendingPathComponent("run").path])
        let directSeconds = Date().timeIntervalSince(start)
        #expect([0, 1, 4].contains(direct.status), "\(direct.stderr.suffix(2000))")
        let reference = try Self.verdicts(directory.appendingPathComponent("run"))
        return (reference, directSeconds)
    }

    @Test("an autonomous job: the agent runs its plan with no host; the job log scored offline equals a direct run on every guest-side requirement")
    func autonomousJobScoredOffline() async throws {
        let job = try await Self.lavaJob("lava-autonomous", devices: Self.devices, autonomous: true)
        defer { job.remove() }
        #expect(job.status == 0, "lava-run: \(job.log.suffix(3000))")
        #expect(job.result.contains("result: pass"), "\(job.result)")
        let directory = job.suite.deletingLastPathComponent()
        let log = directory.appendingPathComponent("job.log")
        try Data(job.log.utf8).write(to: log)
        let run = directory.appendingPathComponent("offline")
        let score = try await CLITests.avps(["score", "--from-console", log.path, job.suite.path, "--out", run.path])
        #expect([0, 1, 4].contains(score.status), "avps score: \(score.stderr.suffix(2000)) \(score.stdout.suffix(1000))")
        let offline = try #require(try finishedRun(run).targets.first)
        #expect(offline.infraError == nil, "\(offline.infraError ?? "")")
        let (direct, _) = try await Self.directRun("lava-autonomous-direct")
        var agreed = 0
        var differing: [String] = []
        for row in offline.results {
            let needsHost = row.reason.contains("no host attached") || row.reason.contains("did not run this request")
            if needsHost {
                #expect(row.verdict != .pass && row.verdict != .fail, "\(row.key): \(row.verdict) \(row.reason)")
            } else if direct[row.key] == row.verdict.rawValue {
                agreed += 1
            } else {
                differing.append("\(row.key): offline \(row.verdict.rawValue) (\(row.reason)) direct \(direct[row.key] ?? "-")")
            }
        }
        #expect(differing.isEmpty, "\(differing)")
        #expect(agreed >= 60, "rows decided alike: \(agreed)")
        print("lava-autonomous: job \(String(format: "%.2f", job.seconds)) s, \(agreed) rows alike with a direct run")
    }

    /// A guest the job cannot test: its agent never starts, or its kernel panics from init (panic=-1
    /// and -no-reboot end LAVA's QEMU). The attached run cannot see LAVA's QEMU exit and waits its
    /// boot timeout, so a short one keeps the LAVA tests in their minute.
    @Test("a guest whose agent never starts, or whose kernel panics, makes the job Incomplete as an infrastructure error",
          arguments: [("lava-agent-off", "avps.agent=off", "avps-init: agent disabled"),
                      ("lava-guest-panic", "avps.init=panic", "Kernel panic")])
    func brokenGuestIsInfrastructure(name: String, kernelAppend: String, consoleShows: String) async throws {
        let job = try await Self.lavaJob(name, devices: "[entropy]", kernelAppend: kernelAppend, bootTimeout: 8)
        defer { job.remove() }
        #expect(job.result.contains("result: fail"), "\(job.result)")
        #expect(job.result.contains("error_type: Infrastructure"), "\(job.result)")
        #expect(job.log.contains(consoleShows), "the job log should show \(consoleShows): \(job.log.suffix(2000))")
    }

    @Test("an autonomous job starts no vsock backend: a vsock target is refused by name, nothing written")
    func autonomousVsockRefused() async throws {
        let directory = try Paths.temporaryDirectory("lava-autonomous-vsock")
        let suite = directory.appendingPathComponent("suite.yaml")
        try Data("""
            schema: 1
            name: autonomous-vsock
            profiles: [avps-2.0]
            targets:
              - name: with-vsock
                adapter: qemu
                devices: [entropy, vsock]
            """.utf8).write(to: suite)
        let out = directory.appendingPathComponent("out")
        let export = try await CLITests.avps(["lava", "export", suite.path, "--out", out.path, "--autonomous"])
        #expect(export.status == 2, "\(export.stderr)")
        #expect(export.stderr.contains("target with-vsock: an autonomous job starts no vsock backend"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("with-vsock").path))
    }

    @Test("a platform failure completes the job and becomes a failed LAVA test case, not an infrastructure error")
    func platformFailureIsATestCase() async throws {
        // A legacy-only block device: the modern-interface MUST requirement fails (the platform's fault).
        let job = try await Self.lavaJob("lava-legacy", devices: "[{block: {size_mib: 16, modern: false}}]")
        defer { job.remove() }
        #expect(job.result.contains("result: pass"), "\(job.result)")
        let cases = try await CLITests.avps(["report", "lava", job.runDirectory.path])
        #expect(cases.status == 0)
        let failed = cases.stdout.split(separator: "\n").filter { $0.hasPrefix("<LAVA_SIGNAL_TESTCASE") && $0.hasSuffix("RESULT=fail>") }
        // Only a MUST that FAILed is a failed test case (a SHOULD deviation or an absent MAY is skip):
        // as many as results.json's conformance names.
        let mustFailures = try finishedRun(job.runDirectory).targets.first.map { Conformance.outcome(of: $0).mustFailures } ?? []
        #expect(!failed.isEmpty)
        #expect(failed.count == mustFailures.count)
    }
}
