import Foundation
import Testing

/// The libvirtd the libvirt tests talk to, and the checks that nothing outlived a test.
enum LibvirtDaemon {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts libvirtd with `ci/libvirtd start` unless one answers (idempotent; ci/test stops it).
    static func ensureRunning() async throws {
        let run = try await execute(Paths.root.appendingPathComponent("ci/libvirtd"), ["start"])
        try #require(run.status == 0, "ci/libvirtd start failed: \(run.stdout)\(run.stderr)")
    }

    /// Names of libvirt domains (running or defined) starting with `prefix`, as `virsh` lists them.
    static func domains(_ prefix: String) async throws -> [String] {
        let run = try await execute(URL(fileURLWithPath: "/usr/bin/virsh"), ["-q", "-c", "qemu:///system", "list", "--all", "--name"])
        return run.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix(prefix) }
    }

    /// No domain, no QEMU process and no workspace left by the target whose domains start with `prefix`.
    static func expectNothingLeft(_ prefix: String, workspaceOf commandLine: [String]) async throws {
        let left = try await domains(prefix)
        #expect(left.isEmpty, "libvirt domains left: \(left)")
        #expect(processesMentioning("guest=\(prefix)").isEmpty)
        let workspace = commandLine.last.flatMap { xml in
            xml.range(of: #"/tmp/avps-[A-Za-z0-9]{6}"#, options: .regularExpression).map { String(xml[$0]) }
        }
        let path = try #require(workspace, "no workspace in the recorded XML")
        #expect(!FileManager.default.fileExists(atPath: path), "workspace \(path) left")
    }

    /// Runs the built avps with extra environment variables.
    static func avps(_ arguments: [String], environment: [String: String]) async throws -> Run {
        let binary = Paths.root.appendingPathComponent(".build/debug/avps")
        return try await execute(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
    }

    static func suite(named target: String, devices: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("\(target).yaml")
        try Data("""
            schema: 1
            name: \(target)
            profiles: [avps-2.0]
            targets:
              - name: \(target)
                adapter: libvirt
                devices: \(devices)
            """.utf8).write(to: url)
        return url
    }

    /// Runs a command to its end off the cooperative pool (see ``offPool(_:)``).
    private static func execute(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) async throws -> Run {
        try await offPool { try executeBlocking(executable, arguments, environment: environment) }
    }

    private static func executeBlocking(_ executable: URL, _ arguments: [String], environment: [String: String]?) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = Paths.root
        if let environment { process.environment = environment }
        let captured = try CapturedRun.run(process)
        return Run(status: captured.status, stdout: captured.stdout, stderr: captured.stderr)
    }
}
