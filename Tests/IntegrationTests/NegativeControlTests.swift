import AVPSModel
import Foundation
import Testing

/// Negative controls: real TCG guests whose devices QEMU itself breaks (an entropy backend fed
/// from /dev/zero or never answering, blkdebug I/O errors, a null-co disk that drops writes, a
/// read-only 9p export, a console controller without ports, a console port whose bytes go
/// nowhere, a watchdog that resets nothing). Each must make exactly the
/// requirements that own the fault FAIL, and leave every other requirement with the verdict a
/// healthy guest with the same device set earns (no collateral). Faults that cannot mask one
/// another share a guest. The guests run through the external adapter with scratch disks, so this
/// also proves the write tests run on a non-qemu target that declares its disks scratch.
/// `ci/mutations` reads the `owns` lists below to show which control proves each requirement.
@Suite("Negative controls: a broken device FAILs exactly its requirement", .guestSlot(minutes: 6), .timeLimit(.minutes(20)))
struct NegativeControlTests {
    /// One guest's device arguments; the healthy one and each fault build the same device set.
    struct Platform {
        var rng = ["-object", "rng-random,id=rng0,filename=/dev/urandom"]
        var rngDevice = "virtio-rng-pci,rng=rng0"
        var disk0 = "file.filename={disk0}"
        var disk1 = "file.filename={disk1}"
        /// The data port's host end is `{dir}/data.sock`, declared in `external.console_ports`.
        var consolePorts = ["-chardev", "socket,id=data0,path={dir}/data.sock,server=on,wait=off",
                            "-device", "virtserialport,bus=con1.0,chardev=data0,name=org.example.data"]
        /// What QEMU does when the i6300esb watchdog expires, and whether avps lets it expire
        /// (the destructive test, observed through the guest's boot id: no QMP on an external target).
        var watchdogAction = "reset"
        var watchdogExpiry = false
        var ninepReadOnly = false
        var netdev = "user,id=n0"
        var gpu = "virtio-gpu-pci"
        var pmemBackend = "memory-backend-file,id=pm0,share=on,mem-path={dir}/pmem0.img,size=16M"
        /// QMP commands given on stdin before the paused guest starts (`-S`, then `cont`), for
        /// faults QEMU only takes at run time (`set_link`).
        var qmpAtStart: [String] = []
        /// Seconds the paused guest is held before `cont`: a platform slow to start its guest.
        var holdSeconds = 0
    }

    static func declared(_ platform: Platform) -> [DeviceSpec] {
        [.entropy, .block(sizeMiB: 16, scratch: true), .block(sizeMiB: 16, scratch: true), .console, .ninep, .net, .gpu, .pmem(sizeMiB: 16),
         .watchdog(expiry: platform.watchdogExpiry ? WatchdogExpiry(seconds: 1) : nil)]
    }
    /// The host's end of the data paths: avps checks what the probes wrote there.
    static func hostFiles(_ directory: URL) -> ExternalHostFiles {
        ExternalHostFiles(block: ["disk0.img", "disk1.img"].map { directory.appendingPathComponent($0).path },
                          ninep: [directory.appendingPathComponent("share").path], pmem: [directory.appendingPathComponent("pmem0.img").path])
    }

    /// An external target running QEMU with `platform`, files under `directory`.
    static func target(_ name: String, _ platform: Platform, directory: URL) -> TargetSpec {
        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "{disk0}", with: directory.appendingPathComponent("disk0.img").path)
                .replacingOccurrences(of: "{disk1}", with: directory.appendingPathComponent("disk1.img").path)
                .replacingOccurrences(of: "{dir}", with: directory.path)
        }
        var start = ["qemu-system-x86_64", "-name", "avps-{name}", "-machine", "q35", "-accel", "tcg", "-m", "256,slots=1,maxmem=272M",
                     "-nodefaults", "-no-user-config", "-display", "none",  // no -no-reboot: the watchdog resets the guest
                     "-kernel", "{kernel}", "-initrd", "{initrd}", "-append", "{cmdline}", "-serial", "file:{serial_log}",
                     "-device", "virtio-serial-pci,id=vser0",
                     "-chardev", "socket,id=agent,path={workspace}/agent.sock,server=on,wait=off",
                     "-device", "virtserialport,bus=vser0.0,chardev=agent,name=org.avps.agent.0",
                     "-device", "virtio-serial-pci,id=con1"]
        start += platform.consolePorts
        start += platform.rng + ["-device", platform.rngDevice]
        for (index, disk) in [platform.disk0, platform.disk1].enumerated() {
            start += ["-drive", "if=none,id=d\(index),format=raw," + disk, "-device", "virtio-blk-pci,drive=d\(index)"]
        }
        start += ["-fsdev", "local,id=fs0,path={dir}/share,security_model=none" + (platform.ninepReadOnly ? ",readonly=on" : ""),
                  "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=share",
                  "-netdev", platform.netdev, "-device", "virtio-net-pci,netdev=n0", "-device", platform.gpu,
                  "-object", platform.pmemBackend, "-device", "virtio-pmem-pci,memdev=pm0",
                  "-device", "i6300esb", "-watchdog-action", platform.watchdogAction]
        if !platform.qmpAtStart.isEmpty || platform.holdSeconds > 0 {
            // No shell quoting: QEMU's arguments reach it as sh's positional parameters.
            let commands = ([#"{"execute":"qmp_capabilities"}"#] + platform.qmpAtStart).joined(separator: "\n")
            let feed = "printf '%s\\n' '\(commands)'; sleep \(platform.holdSeconds); printf '%s\\n' '{\"execute\":\"cont\"}'"
            start = ["sh", "-c", "{ \(feed); } | exec \"$@\"", "sh"] + start + ["-S", "-qmp", "stdio"]
        }
        return TargetSpec(name: name, adapter: "external", accelerator: "tcg", devices: declared(platform),
                          external: ExternalSpec(start: start.map(fill), channel: .unix(path: "{workspace}/agent.sock"),
                                                 consolePorts: ["org.example.data": fill("{dir}/data.sock")], hostFiles: hostFiles(directory)))
    }

    /// Runs a guest and returns every requirement's verdict and reason.
    static func verdicts(_ name: String, _ platform: Platform) async throws -> [String: RequirementResult] {
        let directory = try Paths.temporaryDirectory(name)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("share"), withIntermediateDirectories: true)
        for disk in ["disk0.img", "disk1.img", "pmem0.img"] {
            let path = directory.appendingPathComponent(disk).path
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 16 << 20)
            try handle.close()
        }
        let (outcome, runDirectory) = try await runTarget(target(name, platform, directory: directory), bootTimeout: .seconds(120),
                                                          profiles: ["avps-2.0", "automotive-extras"])
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        #expect(outcome.results.count == 2, "one result per profile")
        #expect(outcome.results.allSatisfy { $0.infraError == nil }, "\(name): \(outcome.results.compactMap(\.infraError))")
        #expect(await processesRemaining("avps-\(name)").isEmpty, "QEMU left running")
        let rows = outcome.results.flatMap(\.results)
        let errors = rows.filter { $0.verdict == .error }.map { "\($0.key): \($0.reason)" }
        #expect(errors.isEmpty, "\(name): nothing the platform breaks is the harness's ERROR: \(errors)")
        let table = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        print("\(name): " + ["AUTO-BOOT-01", "AVPS2-WDT-04", "AVPS2-CON-04"].map { "\($0) \(table[$0]?.verdict.rawValue ?? "-") \(table[$0]?.reason ?? "")" }
            .joined(separator: " | "))
        return table
    }

    /// The healthy guest, run once and shared by every control.
    static let healthy = Task {
        var platform = Platform()
        platform.watchdogExpiry = true
        return try await verdicts("it-neg-healthy", platform)
    }

    /// Each owned requirement FAILs (its reason containing the given text) and PASSes on the
    /// healthy guest; requirements in `unmeasured` become SKIPPED; every other verdict is unchanged.
    func expect(_ faulty: [String: RequirementResult], owns: [String: String], unmeasured: Set<String> = [],
                sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let healthy = try await Self.healthy.value
        for (key, text) in owns {
            #expect(healthy[key]?.verdict == .pass, "\(key) must PASS on the healthy guest: \(healthy[key]?.reason ?? "absent")",
                    sourceLocation: sourceLocation)
            let row = faulty[key]
            // Every owned row is about an offered device that misbehaves, so it FAILs at every level:
            // NOT_OFFERED is only for an optional feature the platform does not offer.
            let failing: Verdict = .fail
            #expect(row?.verdict == failing && row?.reason.contains(text) == true,
                    "\(key): \(row?.verdict.rawValue ?? "absent") \(row?.reason ?? "") (expected \(failing.rawValue) mentioning \(text))",
                    sourceLocation: sourceLocation)
        }
        for key in unmeasured {
            #expect(faulty[key]?.verdict == .skipped, "\(key): \(faulty[key]?.reason ?? "absent")", sourceLocation: sourceLocation)
        }
        let collateral = healthy.keys.sorted().filter { key in
            owns[key] == nil && !unmeasured.contains(key) && faulty[key]?.verdict != healthy[key]?.verdict
        }.map { "\($0): \(Self.healthyText(healthy[$0])) -> \(faulty[$0]?.verdict.rawValue ?? "absent") \(faulty[$0]?.reason ?? "")" }
        #expect(collateral.isEmpty, "collateral verdict changes: \(collateral)", sourceLocation: sourceLocation)
    }

    static func healthyText(_ row: RequirementResult?) -> String { row.map { "\($0.verdict.rawValue)" } ?? "absent" }

    /// Controls, each with the requirements it owns (read by ci/mutations).
    static let constantRngWriteErrorPortlessReadOnlyShare = [
        "AVPS2-RNG-04": "chi_square", "AVPS2-RNG-05": "distinct_byte_values", "AVPS2-RNG-06": "ones_fraction_deviation",
        "AVPS2-STOR-05": "EIO", "AVPS2-CON-03": "data_ports = 0", "AVPS2-FS-03": "EROFS",
        // A write that fails has no write rate: the key figure fails with the same fault.
        "AUTO-STOR-02": "write at 1048576: EIO",
        "AVPS2-NET-03": "carrier = false", "AVPS2-NET-05": "the peer is unreachable",
        "AVPS2-PMEM-04": "verified = false",
        "AUTO-BOOT-01": "boot_to_agent_seconds",
    ]
    static let stalledRngDroppedWritesFlushError = [
        "AVPS2-RNG-03": "no data from the entropy device within", "AVPS2-STOR-05": "verified = false", "AVPS2-STOR-10": "flush_error",
        "AUTO-RNG-01": "no data from the entropy device within",  // no bytes, no rate
        "AVPS2-WDT-04": "watchdog_expiry_reset = false: the agent kept answering with the same boot id", "AVPS2-CON-04": "the host received 0 of 65536 bytes",
    ]

    static let readErrorIsolatedNetworkThrottled = [
        "AVPS2-STOR-05": "read at 1048576: EIO", "AVPS2-NET-05": "the peer is unreachable",
        "AUTO-RNG-01": "bytes_per_second", "AUTO-STOR-02": "write_mib_per_s", "AUTO-GPU-01": "less than one 128-byte block",
        "AVPS2-GPU-03": "did not negotiate EDID",  // the feature-bit row sees edid=off too
        "AVPS2-CON-04": "the host end of the port delivered nothing",
    ]
    /// Only the healthy guest and one control let the watchdog expire (each costs a reboot or the
    /// patience window); elsewhere the destructive test is off and AVPS2-WDT-04 is SKIPPED.
    static let expiryOff: Set<String> = ["AVPS2-WDT-04"]
    /// A console port wired to QEMU's null chardev: the guest's writes succeed and vanish.
    static let nullConsolePort = ["-chardev", "null,id=data0", "-device", "virtserialport,bus=con1.0,chardev=data0,name=org.example.data"]

    // negative-control: AVPS2-STOR-05 -- blkdebug read EIO (read_aio): FAIL naming 'read at 1048576: EIO'
    // negative-control: AVPS2-NET-05 -- -netdev user,restrict=on: the echo peer is unreachable
    // negative-control: AUTO-RNG-01 -- virtio-rng-pci max-bytes=256,period=1000 (rate-limited entropy)
    // negative-control: AUTO-STOR-02 -- -drive throttling.bps-write=716800 (a disk throttled to 700 KiB/s)
    // negative-control: AUTO-GPU-01 -- virtio-gpu-pci,edid=off: the display gives no EDID
    // negative-control: AVPS2-CON-04 -- the data port on a null chardev and nothing at its declared host socket: FAIL, not ERROR
    @Test("blkdebug read EIO; restrict=on networking; an rng limited to 256 B/s; a disk throttled to 700 KiB/s; a GPU without EDID")
    func readErrorIsolatedNetworkThrottled() async throws {
        var platform = Platform()
        platform.rngDevice = "virtio-rng-pci,rng=rng0,max-bytes=256,period=1000"
        platform.disk0 = "file.filename={disk0},throttling.bps-write=716800"
        platform.disk1 = "file.driver=blkdebug,file.inject-error.0.event=read_aio,file.inject-error.0.iotype=read,"
            + "file.inject-error.0.errno=5,file.image.filename={disk1}"
        platform.netdev = "user,id=n0,restrict=on"
        platform.gpu = "virtio-gpu-pci,edid=off"
        platform.consolePorts = Self.nullConsolePort
        let faulty = try await Self.verdicts("it-neg-c", platform)
        // A slow rng still delivers (RNG-03 PASS) but too few bytes in 3 s to judge quality.
        try await expect(faulty, owns: Self.readErrorIsolatedNetworkThrottled,
                         unmeasured: Self.expiryOff.union(["AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06", "AVPS2-RNG-07"]))
    }

    // negative-control: AVPS2-RNG-04, AVPS2-RNG-05, AVPS2-RNG-06 -- rng-random on /dev/zero (constant bytes)
    // negative-control: AVPS2-STOR-05, AUTO-STOR-02 -- blkdebug write EIO (write_aio): FAIL naming 'write at 1048576: EIO'
    // negative-control: AVPS2-CON-03 -- a virtio-serial controller without ports (data_ports = 0)
    // negative-control: AVPS2-FS-03 -- -fsdev local,readonly=on: create fails with EROFS
    // negative-control: AVPS2-NET-03, AVPS2-NET-05 -- QMP set_link up=false before the guest starts: no carrier, nothing reaches the peer
    // negative-control: AVPS2-PMEM-04 -- memory-backend-file readonly=on behind virtio-pmem: the guest's stores are dropped
    // negative-control: AUTO-BOOT-01 -- QEMU started paused (-S), cont only after 35 s: the agent is ready past the 30 s bound
    @Test("rng from /dev/zero, blkdebug write EIO, a console controller without ports, a read-only 9p export, link down, read-only pmem, a guest held 35 s before it runs")
    func constantRngWriteErrorPortlessConsoleReadOnlyShare() async throws {
        var platform = Platform()
        platform.qmpAtStart = [#"{"execute":"set_link","arguments":{"name":"n0","up":false}}"#]
        platform.holdSeconds = 35
        platform.pmemBackend += ",readonly=on"
        platform.rng = ["-object", "rng-random,id=rng0,filename=/dev/zero"]
        platform.disk0 = "file.driver=blkdebug,file.inject-error.0.event=write_aio,file.inject-error.0.iotype=write,"
            + "file.inject-error.0.errno=5,file.image.filename={disk0}"
        platform.consolePorts = []
        platform.ninepReadOnly = true
        let faulty = try await Self.verdicts("it-neg-a", platform)
        // No port, so nothing to transfer: the declared port's row cannot be measured (AVPS2-CON-03 owns the fault).
        try await expect(faulty, owns: Self.constantRngWriteErrorPortlessReadOnlyShare, unmeasured: Self.expiryOff.union(["AVPS2-CON-04"]))
    }

    // negative-control: AVPS2-RNG-03, AUTO-RNG-01 -- rng-egd on a socket nobody serves: 'no data within 3 s', the agent goes on
    // negative-control: AVPS2-STOR-05 -- null-co disk with read-zeroes: writes dropped, read-back mismatches
    // negative-control: AVPS2-STOR-10 -- blkdebug flush EIO (iotype flush): flush_ok = false, the data still verifies
    // negative-control: AVPS2-WDT-04 -- external target, -watchdog-action none: the boot id never changes (no QMP to ask)
    // negative-control: AVPS2-CON-04 -- the data port on a null chardev, its declared host socket served by an unwired chardev: 0 bytes arrive
    @Test("an rng backend that never answers, a null-co disk that drops writes, blkdebug flush EIO, a watchdog that resets nothing, a console that loses its bytes")
    func stalledRngDroppedWritesFlushError() async throws {
        var platform = Platform()
        platform.rng = ["-chardev", "socket,id=egd,path={dir}/egd.sock,server=on,wait=off", "-object", "rng-egd,id=rng0,chardev=egd"]
        platform.disk0 = "file.driver=null-co,file.size=16M,file.read-zeroes=on"
        platform.disk1 = "file.driver=blkdebug,file.inject-error.0.event=write_aio,file.inject-error.0.iotype=flush,"
            + "file.inject-error.0.errno=5,file.image.filename={disk1}"
        platform.watchdogAction = "none"
        platform.watchdogExpiry = true
        platform.consolePorts = Self.nullConsolePort + ["-chardev", "socket,id=decoy,path={dir}/data.sock,server=on,wait=off"]
        let faulty = try await Self.verdicts("it-neg-b", platform)
        // Quality needs bytes: with none, the quality rows cannot be judged (SKIPPED, not FAIL).
        try await expect(faulty, owns: Self.stalledRngDroppedWritesFlushError,
                         unmeasured: ["AVPS2-RNG-04", "AVPS2-RNG-05", "AVPS2-RNG-06", "AVPS2-RNG-07"])
    }

    // negative-control: AVPS2-SELF-01 -- avps.agent.test=misreport-entropy: the agent reports its rng as a block device; QMP says otherwise
    @Test("an agent whose inventory QEMU contradicts: the self-check is ERROR naming both values, no inventory verdict stands, not INFRA")
    func lyingInventoryIsTheSelfChecksError() async throws {
        let target = TargetSpec(name: "it-neg-selfcheck", accelerator: "tcg", devices: [.entropy],
                                kernelAppend: ["avps.agent.test=misreport-entropy"])
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(120))
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "a lying agent is not the test bench's fault: \(result.infraError ?? "")")
        let rows = Dictionary(uniqueKeysWithValues: result.results.map { ($0.key, $0) })
        let selfCheck = try #require(rows["AVPS2-SELF-01"])
        #expect(selfCheck.verdict == .error && selfCheck.reason.contains("the agent reports device id 2, QEMU 4"),
                "\(selfCheck.verdict): \(selfCheck.reason)")
        for key in ["AVPS2-RNG-01", "AVPS2-STOR-01", "AVPS2-GEN-01"] {
            #expect(rows[key]?.verdict == .error, "\(key) must not be judged on a contradicted inventory: \(rows[key]?.reason ?? "absent")")
        }
        #expect(Conformance.outcome(of: result).status != .conformant)
        #expect(await processesRemaining("avps-\(target.name)").isEmpty)
    }

    // negative-control: AVPS2-RNG-03 -- avps.agent.test=stall-entropy: the probe never answers; its 8 s deadline ends it
    @Test("a probe that never answers costs its own requirement only: FAIL at its deadline, the agent serves the rest")
    func stalledProbeHitsItsDeadline() async throws {
        let target = TargetSpec(name: "it-neg-stall", accelerator: "tcg", devices: [.entropy, .block(sizeMiB: 16), .console],
                                kernelAppend: ["avps.agent.test=stall-entropy"])
        let (outcome, runDirectory) = try await runTarget(target, bootTimeout: .seconds(120))
        defer { try? FileManager.default.removeItem(at: runDirectory) }
        let result = try #require(outcome.results.first)
        #expect(result.infraError == nil, "a stalled device is not INFRA: \(result.infraError ?? "")")
        let rows = Dictionary(uniqueKeysWithValues: result.results.map { ($0.key, $0) })
        let rng = try #require(rows["AVPS2-RNG-03"])
        #expect(rng.verdict == .fail && rng.reason.contains("no answer from the device within 8 s"), "\(rng.reason)")
        // Probes before and after the stalled one keep their verdicts.
        for key in ["AVPS2-STOR-05", "AVPS2-STOR-10", "AVPS2-CON-03", "AVPS2-CON-04"] {
            #expect(rows[key]?.verdict == .pass, "\(key): \(rows[key]?.reason ?? "absent")")
        }
        let probes = try #require(result.stages.first { $0.stage == "probes" })
        #expect(probes.ok && probes.duration < 20, "probes stage: \(probes.duration) s")
        #expect(await processesRemaining("avps-\(target.name)").isEmpty)
    }
}
