import AVPSModel
@testable import HypervisorCore
@testable import QEMUHypervisor
import Testing

/// The channel policy, without the devices it asks about (this machine has no /dev/vhost-vsock).
@Suite("Agent channel selection")
struct VsockChannelSelectionTests {
    typealias Host = AgentChannelSelector.HostSupport

    @Test("auto prefers kernel vhost-vsock, then our backend, then virtio-serial with a reason")
    func autoPreference() throws {
        #expect(try AgentChannelSelector.choose(.auto, host: Host(kernelVhostVsock: true, backendExecutable: "/x/avps")) == .kernelVsock)
        #expect(try AgentChannelSelector.choose(.auto, host: Host(kernelVhostVsock: false, backendExecutable: "/x/avps"))
                == .userVsock(backend: "/x/avps"))
        guard case .virtioSerial(let reason) = try AgentChannelSelector.choose(.auto, host: Host(kernelVhostVsock: false, backendExecutable: nil)) else {
            Issue.record("expected the virtio-serial fallback"); return
        }
        #expect(reason.contains("vhost-vsock"))
    }

    @Test("vsock without any vsock on the host is an error; virtio-serial is always honoured")
    func explicitChoices() throws {
        #expect(throws: HypervisorError.self) {
            try AgentChannelSelector.choose(.vsock, host: Host(kernelVhostVsock: false, backendExecutable: nil))
        }
        #expect(try AgentChannelSelector.choose(.virtioSerial, host: Host(kernelVhostVsock: true, backendExecutable: "/x/avps"))
                == .virtioSerial(reason: "the target asks for virtio-serial"))
    }

    @Test("command lines: shared memfd RAM and vhost-user-vsock for our backend; guest-cid for the kernel")
    func commandLines() throws {
        let target = TargetSpec(name: "t", accelerator: "tcg", devices: [.entropy, .vsock])
        let boot = BootArtifacts(kernel: "/k", initrd: "/i", kernelCommandLine: "console=ttyS0")
        var paths = QEMUCommandLine.Paths(qmpSocket: "/w/q", agentSocket: "/w/a", serialLog: "/w/s", workspace: "/w")
        paths.vsockSocket = "/w/vhost-vsock.sock"
        let (user, devices) = try QEMUCommandLine.arguments(for: target, accelerator: "tcg", boot: boot, paths: paths,
                                                            vsock: .userVsock(backend: "/x/avps"))
        #expect(user.contains("q35,memory-backend=mem"))
        #expect(user.contains("memory-backend-memfd,id=mem,size=256M,share=on"))
        #expect(user.contains("vhost-user-vsock-pci,chardev=vsock0,id=dev-vsock"))
        #expect(devices.filter { $0 == 19 }.count == 1)  // the vsock device once, however it is asked for
        let (kernel, _) = try QEMUCommandLine.arguments(for: target, accelerator: "tcg", boot: boot, paths: paths,
                                                        vsock: .kernelVsock(cid: 42))
        #expect(kernel.contains("vhost-vsock-pci,guest-cid=42,id=dev-vsock"))
        #expect(!kernel.contains { $0.contains("memory-backend") })
    }
}
