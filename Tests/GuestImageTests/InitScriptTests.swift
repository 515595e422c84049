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
        #expect(text.contains("insmod \"/lib/modules/6.1.0-56-amd64/$1\""))
        #expect(text.contains("echo \"avps-init: insmod $1 failed\""), "failures are logged, not fatal")
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

    @Test func scriptParsesWithBusyboxShell() async throws {
        // `sh -n` only parses: catches quoting mistakes in the generator without running anything.
        let result = try await HostTool(name: "busybox", installHint: "").capture(["sh", "-n", "-c", script.text])
        #expect(result.succeeded, "\(result.stderr)")
    }
}
