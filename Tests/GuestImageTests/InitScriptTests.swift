import Testing
@testable import GuestImage

@Suite struct InitScriptTests {
    let script = InitScript(kernelRelease: "6.1.0-56-amd64",
                            modulePaths: ["kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko",
                                          "kernel/drivers/virtio/virtio_pci.ko"])

    @Test func mountsAndLoadsModulesInOrder() throws {
        let text = script.text
        #expect(text.hasPrefix("#!/bin/sh\n"))
        for mount in ["mount -t proc proc /proc", "mount -t sysfs sysfs /sys", "mount -t devtmpfs devtmpfs /dev"] {
            #expect(text.contains(mount))
        }
        let loads = text.split(separator: "\n").filter { $0.hasPrefix("load '") }
        #expect(loads == ["load 'kernel/drivers/virtio/virtio.ko'", "load 'kernel/drivers/virtio/virtio_ring.ko'",
                          "load 'kernel/drivers/virtio/virtio_pci.ko'"])
        #expect(text.contains("insmod \"/lib/modules/6.1.0-56-amd64/$path\""))
        #expect(text.contains("echo \"avps-init: insmod $path failed\""), "failures are logged, not fatal")
        // Modules load before the agent decision; mounts before modules.
        let mountAt = try #require(text.range(of: "mount -t devtmpfs")).lowerBound
        let firstLoad = try #require(text.range(of: "load 'kernel")).lowerBound
        let agentAt = try #require(text.range(of: "/sbin/avps-agent\n")).lowerBound
        #expect(mountAt < firstLoad && firstLoad < agentAt)
    }

    @Test func agentRunsUnlessDisabledThenPowersOff() throws {
        let text = script.text
        let disabled = try #require(text.range(of: "*\" avps.agent=off \"*)")).lowerBound
        let agentRun = try #require(text.range(of: "\n/sbin/avps-agent\n")).lowerBound
        #expect(disabled < agentRun)
        #expect(text.contains("echo 'avps-init: agent disabled'\n    while :; do sleep 3600; done"))
        #expect(text.contains("echo \"avps-init: agent exited with status $status\"\npoweroff -f"))
    }

    @Test func everyCommandIsAnAppletWeLink() {
        for command in ["mount", "mkdir", "insmod", "sleep", "poweroff"] {
            #expect(InitScript.applets.contains(command))
        }
    }

    static let grouped = InitScript(
        kernelRelease: "6.1.0-56-amd64",
        modulePaths: ["kernel/virtio.ko", "kernel/virtio_blk.ko", "kernel/drm.ko", "kernel/failover.ko", "kernel/virtio_net.ko"],
        moduleGroups: ["kernel/virtio.ko": ["core"], "kernel/virtio_blk.ko": ["block"], "kernel/drm.ko": ["gpu"],
                       "kernel/failover.ko": ["net", "scsi"], "kernel/virtio_net.ko": ["net"]])

    /// Runs the module-loading part of the generated /init under busybox sh with `insmod`
    /// replaced by a shell function, for a given kernel command line; returns the loaded paths.
    static func loadedModules(cmdline: String) async throws -> (loaded: [String], summary: String) {
        let text = grouped.text
        let start = try #require(text.range(of: "read -r cmdline </proc/cmdline\n")).upperBound
        let end = try #require(text.range(of: "read -r cmdline", range: start..<text.endIndex)?.lowerBound
                               ?? text.range(of: "case \" $cmdline \" in")?.lowerBound)
        let program = "insmod() { echo \"INSMOD $1\"; }\ncmdline='\(cmdline)'\n" + text[start..<end]
        let result = try await HostTool(name: "busybox", installHint: "").capture(["sh", "-c", program])
        #expect(result.succeeded, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let loaded = lines.filter { $0.hasPrefix("INSMOD ") }.map { String($0.dropFirst("INSMOD /lib/modules/6.1.0-56-amd64/".count)) }
        return (loaded, lines.last { $0.contains("modules loaded") } ?? "")
    }

    @Test func avpsModulesLoadsOnlyTheNamedGroupsPlusCore() async throws {
        let net = try await Self.loadedModules(cmdline: "console=ttyS0 avps.modules=net quiet")
        #expect(net.loaded == ["kernel/virtio.ko", "kernel/failover.ko", "kernel/virtio_net.ko"])
        #expect(net.summary == "avps-init: modules loaded: 3 ok, 0 failed, 2 not needed")
        let two = try await Self.loadedModules(cmdline: "avps.modules=block,scsi")
        #expect(two.loaded == ["kernel/virtio.ko", "kernel/virtio_blk.ko", "kernel/failover.ko"])
        let coreOnly = try await Self.loadedModules(cmdline: "avps.modules=core")
        #expect(coreOnly.loaded == ["kernel/virtio.ko"])
    }

    @Test func withoutTheWordEveryModuleLoads() async throws {
        let all = try await Self.loadedModules(cmdline: "console=ttyS0 quiet")
        #expect(all.loaded.count == 5)
        #expect(all.summary == "avps-init: modules loaded: 5 ok, 0 failed, 0 not needed")
    }

    @Test func groupWordsFollowDeviceKinds() {
        #expect(ModuleGroups.commandLineWord(forDeviceKinds: ["block", "net", "entropy", "console", "balloon"])
                == "avps.modules=balloon,block,entropy,net")
        #expect(ModuleGroups.commandLineWord(forDeviceKinds: ["keyboard", "tablet", "vsock"]) == "avps.modules=input")
        #expect(ModuleGroups.commandLineWord(forDeviceKinds: []) == "avps.modules=core")
        // A kind this build has no group for loads everything rather than boot without a driver.
        #expect(ModuleGroups.commandLineWord(forDeviceKinds: ["block", "rpmb"]) == nil)
        #expect(ModuleGroups.commandLineWord(forDeviceKinds: ["watchdog", "pmem", "entropy"]) == "avps.modules=entropy,pmem,watchdog")
    }

    @Test func scriptParsesWithBusyboxShell() async throws {
        // `sh -n` only parses: catches quoting mistakes in the generator without running anything.
        let result = try await HostTool(name: "busybox", installHint: "").capture(["sh", "-n", "-c", script.text])
        #expect(result.succeeded, "\(result.stderr)")
    }
}
