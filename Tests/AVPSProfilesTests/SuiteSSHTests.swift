import AVPSModel
import AVPSProfiles
import Testing

/// The `ssh:` section of a suite target: defaults, and file:line:field errors for bad values.
@Suite("suite ssh section")
struct SuiteSSHTests {
    private func load(_ target: String) throws -> TargetSpec {
        let yaml = """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: x
            devices: [entropy]
        \(target)
        """
        return try #require(SuiteLoader.load(yaml: yaml, file: "t.yaml").targets.first)
    }

    private func error(_ target: String) -> String {
        do {
            _ = try load(target)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func fullSectionAndDefaults() throws {
        let full = try load("""
                adapter: ssh
                ssh: {host: board.lab, port: 2222, user: ci, identity: ~/.ssh/ci, known_hosts: /etc/avps/known_hosts,
                      accept_new_host_key: true, qemu: /opt/qemu/bin/qemu-system-x86_64, remote_dir: /var/tmp, connect_timeout_s: 3}
            """)
        #expect(full.ssh == SSHSpec(host: "board.lab", port: 2222, user: "ci", identity: "~/.ssh/ci",
                                    knownHosts: "/etc/avps/known_hosts", acceptNewHostKey: true,
                                    qemu: "/opt/qemu/bin/qemu-system-x86_64", remoteDirectory: "/var/tmp",
                                    connectTimeoutSeconds: 3))
        let minimal = try load("    adapter: ssh\n    ssh: {host: 192.0.2.7}")
        #expect(minimal.ssh == SSHSpec(host: "192.0.2.7"))
        #expect(minimal.ssh?.acceptNewHostKey == false)  // never on by default
    }

    @Test func errorsNameFileLineAndField() {
        #expect(error("    adapter: ssh") == "t.yaml:7:14: targets[0].adapter: adapter ssh needs an `ssh:` section (at least `host:`)")
        #expect(error("    adapter: ssh\n    ssh: {port: 22}").hasPrefix("t.yaml:8:"))
        #expect(error("    adapter: ssh\n    ssh: {host: h, port: 70000}").contains("targets[0].ssh.port: must be 1...65535"))
        #expect(error("    adapter: ssh\n    ssh: {host: root@h}").contains("put the login name in `user:`"))
        #expect(error("    adapter: ssh\n    ssh: {host: h, remote_dir: tmp}").contains("ssh.remote_dir: must be an absolute path"))
        #expect(error("    adapter: ssh\n    ssh: {host: h, accept_new_host_key: maybe}").contains("ssh.accept_new_host_key"))
        #expect(error("    adapter: ssh\n    ssh: {host: h, pasword: x}").contains("ssh"))
        #expect(error("    ssh: {host: h}").contains("targets[0].ssh: only used with `adapter: ssh`"))
    }
}
