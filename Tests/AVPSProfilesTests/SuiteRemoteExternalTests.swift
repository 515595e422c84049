import AVPSModel
import AVPSProfiles
import Testing

/// `external.remote`: the `ssh:` keys (without `qemu`) plus `upload:`, with file:line:field errors.
@Suite("suite external remote section")
struct SuiteRemoteExternalTests {
    private func load(_ remote: String, start: String = "[xl, create, \"{workspace}/guest.cfg\"]") throws -> TargetSpec {
        let yaml = """
        schema: 1
        name: t
        profiles: [avps-2.0]
        targets:
          - name: x
            adapter: external
            devices: [entropy]
            external:
              start: \(start)
              stop: [xl, destroy, "{name}"]
              channel: {unix: "{workspace}/agent.sock"}
              remote: \(remote)
        """
        return try #require(SuiteLoader.load(yaml: yaml, file: "t.yaml").targets.first)
    }

    private func error(_ remote: String, start: String = "[xl, create]") -> String {
        do {
            _ = try load(remote, start: start)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func remoteSectionReusesTheSSHKeysAndTakesUploads() throws {
        let target = try load("{host: dom0.lab, user: ci, identity: /keys/ci, known_hosts: /keys/known_hosts, remote_dir: /var/tmp, "
                              + "upload: {rootfs.ext4: /images/rootfs.ext4, guest.cfg: ./guest.cfg}}")
        let remote = try #require(target.external?.remote)
        #expect(remote.ssh == SSHSpec(host: "dom0.lab", user: "ci", identity: "/keys/ci", knownHosts: "/keys/known_hosts",
                                      remoteDirectory: "/var/tmp"))
        #expect(remote.uploads == ["rootfs.ext4": "/images/rootfs.ext4", "guest.cfg": "./guest.cfg"])
        #expect(target.external?.stop == ["xl", "destroy", "{name}"])
    }

    @Test func shippedRemoteExampleLoads() throws {
        let file = ExternalTool.packageRoot.appendingPathComponent("Suites/targets/xen-xl-remote.example.yaml")
        let target = try #require(SuiteLoader.load(contentsOf: file).targets.first)
        #expect(target.external?.remote?.ssh.host == "dom0.lab.example")
        #expect(target.external?.remote?.uploads == ["domu.cfg": "./xen/avps-domu.cfg"])
    }

    @Test func badRemoteSectionsNameTheirLineAndField() {
        let qemu = error("{host: dom0.lab, qemu: qemu-system-x86_64}")
        #expect(qemu.contains("t.yaml:12") && qemu.contains("qemu"), "\(qemu)")
        let missingHost = error("{user: ci}")
        #expect(missingHost.contains("host"), "\(missingHost)")
        let slash = error("{host: dom0.lab, upload: {../etc/passwd: /tmp/x}}")
        #expect(slash.contains("plain file name") && slash.contains("../etc/passwd"), "\(slash)")
        let reserved = error("{host: dom0.lab, upload: {kernel: /tmp/bzImage}}")
        #expect(reserved.contains("plain file name") && reserved.contains("kernel"), "\(reserved)")
        let avps = error("{host: dom0.lab}", start: "[\"{avps}\", vsockd]")
        #expect(avps.contains("{avps}") && avps.contains("remote host"), "\(avps)")
    }
}
