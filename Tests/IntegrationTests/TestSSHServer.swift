import AVPSModel
import Foundation
import Testing

/// A real, throwaway OpenSSH server on 127.0.0.1 for the ssh adapter tests: its own host key,
/// client key, authorized_keys and config in a private directory, `sshd -D` on a free port.
/// `stop()` kills it and removes the directory; call it on every path (`defer`).
///
/// sshd is spawned with posix_spawn, not Foundation's `Process`: on Linux, Foundation's process
/// monitor blocks in wait4 on a long-lived child, and every other `Process` then never completes.
final class TestSSHServer: @unchecked Sendable {
    let directory: URL
    let port: Int
    private let pid: pid_t

    var clientKey: String { directory.appendingPathComponent("client_key").path }
    var hostPublicKey: URL { directory.appendingPathComponent("host_key.pub") }

    private init(directory: URL, port: Int, pid: pid_t) {
        self.directory = directory
        self.port = port
        self.pid = pid
    }

    /// Key generation and the wait for sshd block: they run off the cooperative pool.
    static func start() async throws -> TestSSHServer {
        try await offPool { try startBlocking() }
    }

    private static func startBlocking() throws -> TestSSHServer {
        let directory = URL(fileURLWithPath: "/tmp/avps-sshd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            // sshd's privilege-separation directory; Debian creates it only when the service starts.
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            for name in ["host_key", "client_key", "stranger_key"] {
                try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name,
                                                "-f", directory.appendingPathComponent(name).path])
            }
            try FileManager.default.copyItem(at: directory.appendingPathComponent("client_key.pub"),
                                             to: directory.appendingPathComponent("authorized_keys"))
            var lastLog = ""
            for _ in 0..<5 {  // a free port can be taken between probing and sshd's bind: try another
                let port = try freePort()
                let configFile = directory.appendingPathComponent("sshd_config")
                try Data(config(directory: directory, port: port).utf8).write(to: configFile)
                let pid = try spawn(["/usr/sbin/sshd", "-D", "-f", configFile.path,
                                     "-E", directory.appendingPathComponent("sshd.log").path])
                let server = TestSSHServer(directory: directory, port: port, pid: pid)
                if server.waitUntilListening() { return server }
                lastLog = server.log
                server.terminate()
            }
            throw TestServerError(message: "sshd did not start: \(lastLog)")
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("sshd.log"), encoding: .utf8)) ?? ""
    }

    /// "[127.0.0.1]:PORT ssh-ed25519 AAAA…", the known_hosts line for this server's key.
    var knownHostsLine: String {
        get throws { "[127.0.0.1]:\(port) " + (try publicKey(hostPublicKey)) }
    }

    /// The same host name with a different key: what a man-in-the-middle check must catch.
    var strangerKnownHostsLine: String {
        get throws { "[127.0.0.1]:\(port) " + (try publicKey(directory.appendingPathComponent("stranger_key.pub"))) }
    }

    /// "SHA256:…" of the host key, as ssh-keygen computes it (an independent implementation).
    var hostKeyFingerprint: String {
        get throws {
            let words = try Self.run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", hostPublicKey.path]).split(separator: " ")
            return words.count > 1 ? String(words[1]) : ""
        }
    }

    /// Writes a known_hosts file with `lines` and returns its path.
    func knownHosts(_ name: String, lines: [String]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url)
        return url.path
    }

    func spec(knownHosts: String, identity: String? = nil, acceptNew: Bool = false,
              qemu: String = "qemu-system-x86_64") -> SSHSpec {
        SSHSpec(host: "127.0.0.1", port: port, user: "root", identity: identity ?? clientKey, knownHosts: knownHosts,
                acceptNewHostKey: acceptNew, qemu: qemu)
    }

    /// Stops sshd (its per-connection children end with their connections) and removes the directory.
    func stop() {
        terminate()
        let deadline = Date().addingTimeInterval(5)
        while !processesMentioning(directory.path).isEmpty, Date() < deadline { usleep(50_000) }
        try? FileManager.default.removeItem(at: directory)
    }

    private var isRunning: Bool { kill(pid, 0) == 0 && waitpid(pid, nil, WNOHANG) == 0 }

    /// SIGTERM, then reap (SIGKILL after 5 s). Idempotent: a reaped pid answers ESRCH/ECHILD.
    private func terminate() {
        guard kill(pid, SIGTERM) == 0 else { return }
        for _ in 0..<100 {
            if waitpid(pid, nil, WNOHANG) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }

    private static func spawn(_ argv: [String]) throws -> pid_t {
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // sshd lives for a whole suite: it must not keep descriptors other tests are using (a
        // child's output pipe it inherited would never reach its end while sshd runs).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap(Int32.init)
        where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let status = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard status == 0 else { throw TestServerError(message: "posix_spawn \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
    }

    private func waitUntilListening() -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, isRunning {
            if log.contains("Server listening on 127.0.0.1 port \(port)") { return true }
            usleep(20_000)
        }
        return false
    }

    private func publicKey(_ url: URL) throws -> String {
        let words = try String(contentsOf: url, encoding: .utf8).split(separator: " ")
        return words.prefix(2).joined(separator: " ")
    }

    private static func config(directory: URL, port: Int) -> String {
        """
        ListenAddress 127.0.0.1
        Port \(port)
        HostKey \(directory.path)/host_key
        PidFile none
        AuthorizedKeysFile \(directory.path)/authorized_keys
        PermitRootLogin prohibit-password
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        AllowStreamLocalForwarding yes
        Subsystem sftp internal-sftp
        """
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError(message: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw TestServerError(message: "cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let captured = try CapturedRun.run(process)
        guard captured.status == 0 else {
            throw TestServerError(message: "\(executable) \(arguments) exited with \(captured.status)")
        }
        return captured.stdout
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
