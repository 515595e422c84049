import AVPSModel
import Foundation
import Testing

/// A vendor's own guest: Debian 12 with systemd as PID 1, Debian's kernel and initramfs, its root on
/// virtio-blk (`ci/debian-image`, debootstrap, cached). The agent goes in with `avps guest inject`,
/// QEMU runs it through the external contract, here and on a "remote" host (a throwaway sshd on
/// 127.0.0.1), and it must score what the reference guest scores.
@Suite("vendor image", .guestSlot(minutes: 20), .serialized, .timeLimit(.minutes(20)))
struct VendorImageTests {
    static func image() async throws -> URL {
        let built = try await CLITests.avps([], executable: Paths.root.appendingPathComponent("ci/debian-image"))
        #expect(built.status == 0, "ci/debian-image: \(built.stderr.suffix(2000))")
        return URL(fileURLWithPath: built.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// An external target: QEMU with `kernel`/`initrd`/`append`, the root disk, an entropy device
    /// and the agent's virtio-serial port.
    static func suite(name: String, kernel: String, initrd: String, append: String, disk: String) -> String {
        """
        schema: 1
        name: \(name)
        profiles: [avps-2.0]
        targets:
          - name: \(name)
            adapter: external
            devices: [{block: {size_mib: 1024}}, entropy]
            external:
              start: [qemu-system-x86_64, -name, "avps-{name}", -machine, q35, -accel, tcg, -m, "512",
                      -nodefaults, -no-user-config, -display, none, -no-reboot,
                      -kernel, "\(kernel)", -initrd, "\(initrd)", -append, "\(append)", -serial, "file:{serial_log}",
                      -drive, "if=none,id=root,format=raw,\(disk)", -device, "virtio-blk-pci,drive=root",
                      -device, virtio-serial-pci, -chardev, "socket,id=agent,path={workspace}/agent.sock,server=on,wait=off",
                      -device, "virtserialport,chardev=agent,name=org.avps.agent.0",
                      -object, "rng-random,id=rng0,filename=/dev/urandom", -device, "virtio-rng-pci,rng=rng0"]
              channel: { unix: "{workspace}/agent.sock" }
        """
    }

    static func run(_ suite: String, in directory: URL, name: String) async throws -> (status: Int32, results: TargetResult?) {
        let file = directory.appendingPathComponent("\(name).yaml")
        try Data(suite.utf8).write(to: file)
        let out = directory.appendingPathComponent(name)
        let run = try await CLITests.avps(["run", file.path, "--out", out.path, "--boot-timeout", "240", "--progress", "plain"])
        #expect([0, 1, 4].contains(run.status), "\(name): exit \(run.status) \(run.stderr.suffix(2000))")
        return (run.status, (try? finishedRun(out))?.targets.first)
    }

    static func agentReady(_ target: TargetResult?) -> Double? {
        target?.stages.first { $0.stage == "agent ready" }?.duration
    }

    /// Seconds from "hypervisor started" to the end of `stage` (the upload before it excluded).
    static func secondsTo(_ stage: String, _ target: TargetResult?) -> Double? {
        guard let stages = target?.stages, let start = stages.first(where: { $0.stage == "hypervisor started" }),
              let end = stages.last(where: { $0.stage == stage && $0.ok }) else { return nil }
        return end.startedAt + end.duration - start.startedAt
    }

    /// The shipped `Suites/targets/debian-systemd-remote.yaml` with this test's login and files in its `remote:`.
    static func remoteSuite(_ server: TestSSHServer, knownHosts: String, vmlinuz: String, initrd: String, disk: String) throws -> String {
        let shipped = try String(contentsOf: Paths.root.appendingPathComponent("Suites/targets/debian-systemd-remote.yaml"), encoding: .utf8)
        let cut = try #require(shipped.range(of: "      remote:\n"))
        return String(shipped[..<cut.upperBound]) + """
                    host: 127.0.0.1
                    port: \(server.port)
                    user: root
                    identity: \(server.clientKey)
                    known_hosts: \(knownHosts)
                    upload: { vmlinuz: \(vmlinuz), initrd.img: \(initrd), rootfs.ext4: \(disk) }

            """
    }

    @Test("a Debian 12 systemd image with the injected agent scores what the reference guest scores, directly and on a remote host")
    func systemdImageScoresLikeTheReferenceGuest() async throws {
        let image = try await Self.image()
        let directory = try Paths.temporaryDirectory("vendor-image")
        let disk = directory.appendingPathComponent("rootfs.ext4"), remoteDisk = directory.appendingPathComponent("rootfs-remote.ext4")
        let copy = try await CLITests.avps(["--sparse=always", image.appendingPathComponent("rootfs.ext4").path, disk.path],
                                           executable: URL(fileURLWithPath: "/bin/cp"))
        #expect(copy.status == 0)
        let inject = try await CLITests.avps(["guest", "inject", "--rootfs", disk.path])
        #expect(inject.status == 0, "inject: \(inject.stderr)")
        #expect(inject.stdout.contains("/etc/systemd/system/avps-agent.service"))
        // The remote run boots the same injected image, untouched by the direct run's boot.
        let second = try await CLITests.avps(["--sparse=always", disk.path, remoteDisk.path], executable: URL(fileURLWithPath: "/bin/cp"))
        #expect(second.status == 0)
        let (vmlinuz, initrd) = (image.appendingPathComponent("vmlinuz").path, image.appendingPathComponent("initrd.img").path)

        let guest = try await ReferenceGuestFixture.shared.guest(.x86_64)
        let reference = try await Self.run(Self.suite(name: "reference", kernel: guest.kernel.path, initrd: guest.initrd.path,
                                                      append: guest.baseCommandLine, disk: "file=null-co://,size=1024M"),
                                           in: directory, name: "reference")
        let vendor = try await Self.run(Self.suite(name: "vendor-systemd", kernel: vmlinuz, initrd: initrd,
                                                   append: "root=/dev/vda rw console=ttyS0 panic=-1", disk: "file=\(disk.path)"),
                                        in: directory, name: "vendor-systemd")
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let knownHosts = try server.knownHosts("known_hosts", lines: [try server.knownHostsLine])
        let remote = try await Self.run(try Self.remoteSuite(server, knownHosts: knownHosts, vmlinuz: vmlinuz, initrd: initrd,
                                                             disk: remoteDisk.path),
                                        in: directory, name: "debian-systemd-remote")

        let release = vendor.results?.evidence?.guest.kernelRelease
        #expect(release?.hasSuffix("-amd64") == true, "the vendor image runs Debian's own kernel: \(release ?? "none")")
        let (mine, theirs, remoteVerdicts) = (verdictWords(vendor.results), verdictWords(reference.results), verdictWords(remote.results))
        #expect(mine.values.filter { $0 == "PASS" }.count > 15)
        let differing = Set(mine.keys).union(theirs.keys).filter { mine[$0] != theirs[$0] }
        // Explained in docs/vendors.md: q35's chipset has a watchdog of its own (ICH9 TCO); the systemd
        // image's udev loads iTCO_wdt for it, the reference guest loads only the drivers of the devices
        // a target asks for. Nothing else may differ.
        let watchdog: Set<String> = ["AVPS2-WDT-01", "AVPS2-WDT-02", "AVPS2-WDT-03", "AVPS2-WDT-04"]
        #expect(mine["AVPS2-WDT-01"] == "PASS" && theirs["AVPS2-WDT-01"] == "FAIL")
        #expect(differing.subtracting(watchdog).isEmpty, "differ: \(differing.sorted().map { "\($0) vendor \(mine[$0] ?? "-") reference \(theirs[$0] ?? "-")" })")
        // The same image through the remote external adapter scores exactly what it scores directly.
        let remoteDiffering = Set(mine.keys).union(remoteVerdicts.keys).filter { mine[$0] != remoteVerdicts[$0] }.sorted()
        #expect(remote.results?.infraError == nil && remoteDiffering.isEmpty,
                "remote differs: \(remoteDiffering.map { "\($0) direct \(mine[$0] ?? "-") remote \(remoteVerdicts[$0] ?? "-")" })")

        let observed = remote.results?.evidence?.hostObservations ?? [:]
        // The raw image went over sparsely: its holes and zero blocks were not sent.
        guard case .int(let size)? = observed["remote.upload_bytes"], case .int(let sent)? = observed["remote.upload_bytes_sent"] else {
            Issue.record("no upload tally in \(observed.keys.sorted())")
            return
        }
        #expect(size > 1 << 30 && sent > 0 && sent < size * 3 / 4, "sent \(sent) of \(size) bytes")
        // `reset` ran on the remote host and the guest came back: a new boot id, the run carried on.
        #expect(observed["platform_reset_reboots_guest"] == .bool(true), "\(observed.filter { $0.key.hasPrefix("platform_reset") })")
        let serial = try String(contentsOf: directory.appendingPathComponent("debian-systemd-remote/debian-systemd-remote/serial.log"),
                                encoding: .utf8)
        #expect(serial.components(separatedBy: "Linux version ").count - 1 == 2, "two boots on the remote console")
        let commandLine = remote.results?.commandLine ?? []
        let remoteDirectory = try #require(RemoteExternalTests().remoteDirectory(commandLine), "\(commandLine)")
        #expect(processesMentioning("-name avps-debian-systemd-remote ").isEmpty && !FileManager.default.fileExists(atPath: remoteDirectory))

        func format(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        let lines = [("reference guest, direct", reference.results), ("systemd image, direct", vendor.results),
                     ("systemd image, remote", remote.results)].map { label, result in
            "\(label): agent ready \(format(Self.secondsTo("agent ready", result))) s, hello \(format(Self.secondsTo("agent hello", result))) s"
        }
        let upload = remote.results?.stages.first { $0.stage == "artifacts uploaded" }?.duration
        print("vendor-image: " + lines.joined(separator: "; ") + "; remote upload \(format(upload)) s, \(sent) of \(size) bytes sent; "
              + "reset to agent \(format(observed["platform_reset_to_agent_seconds"].flatMap { if case .double(let v) = $0 { v } else { nil } })) s")
    }

    /// A vendor initramfs with its own /init that knows nothing of avps: the reference guest's
    /// busybox and modules, repacked with the real cpio and gzip, without the agent or avps's /init.
    static func vendorInitramfs(in directory: URL) async throws -> URL {
        let guest = try await ReferenceGuestFixture.shared.guest(.x86_64)
        let tree = directory.appendingPathComponent("vendor-tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        let foreignInit = """
            #!/bin/sh
            # A vendor's /init: mounts, loads its drivers, runs its application. It has never heard of avps.
            export PATH=/sbin:/bin
            mount -t proc proc /proc 2>/dev/null; mount -t sysfs sysfs /sys 2>/dev/null; mount -t devtmpfs devtmpfs /dev 2>/dev/null
            for m in virtio_pci virtio_console virtio-rng virtio_blk; do modprobe $m; done
            echo 'vendor-init: application running'
            while true; do sleep 3600; done
            """
        let script = """
            set -e
            cd '\(tree.path)'
            cpio -id --quiet < '\(guest.initrd.path)'
            rm -f init sbin/avps-agent
            cat > init <<'INIT'
            \(foreignInit)
            INIT
            chmod 755 init
            find . | cpio -o -H newc --quiet | gzip -9 > ../vendor.cpio.gz
            """
        let packed = try await CLITests.avps(["-c", script], executable: URL(fileURLWithPath: "/bin/sh"), directory: directory)
        #expect(packed.status == 0, "vendor initramfs: \(packed.stderr)")
        return directory.appendingPathComponent("vendor.cpio.gz")
    }

    @Test("an initramfs overlay starts the agent beside a vendor's own /init; without it the same image has no agent")
    func initramfsOverlayOnAForeignInit() async throws {
        let directory = try Paths.temporaryDirectory("vendor-initramfs")
        let vendor = try await Self.vendorInitramfs(in: directory)
        let extended = directory.appendingPathComponent("with-agent.cpio")
        let inject = try await CLITests.avps(["guest", "inject", "--initramfs", vendor.path, "--out", extended.path])
        #expect(inject.status == 0, "inject: \(inject.stderr)")
        #expect(inject.stdout.contains("rdinit=/avps-init"))
        let guest = try await ReferenceGuestFixture.shared.guest(.x86_64)
        let overlay = try await Self.run(Self.suite(name: "vendor-overlay", kernel: guest.kernel.path, initrd: extended.path,
                                                    append: "console=ttyS0 panic=-1 quiet rdinit=/avps-init",
                                                    disk: "file=null-co://,size=1024M"),
                                         in: directory, name: "vendor-overlay")
        let verdicts = verdictWords(overlay.results)
        #expect(verdicts["AVPS2-RNG-01"] == "PASS" && verdicts["AVPS2-STOR-01"] == "PASS", "\(verdicts)")

        // The negative control: the vendor image alone boots its application and never answers.
        let suite = directory.appendingPathComponent("bare.yaml")
        try Data(Self.suite(name: "vendor-bare", kernel: guest.kernel.path, initrd: vendor.path, append: "console=ttyS0 panic=-1 quiet",
                            disk: "file=null-co://,size=1024M").utf8).write(to: suite)
        let bare = try await CLITests.avps(["run", suite.path, "--out", directory.appendingPathComponent("bare").path,
                                            "--boot-timeout", "15", "--progress", "plain"])
        #expect(bare.status == 3, "no agent must be INFRA (exit 3): \(bare.stderr.suffix(1500))")
        let serial = try? String(contentsOf: directory.appendingPathComponent("bare/vendor-bare/serial.log"), encoding: .utf8)
        #expect(serial?.contains("vendor-init: application running") == true, "the vendor's own /init ran")
    }
}
