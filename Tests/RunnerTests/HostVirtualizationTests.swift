import AVPSModel
import Testing
@testable import Runner

/// Reading the host CPU's virtualization extensions from /proc/cpuinfo text.
@Suite struct HostVirtualizationTests {
    @Test func intelAmdAndNeither() {
        #expect(HostVirtualization.extensions(cpuinfo: "processor\t: 0\nflags\t\t: fpu vme vmx sse2\n") == "vmx")
        #expect(HostVirtualization.extensions(cpuinfo: "flags\t\t: fpu svm lm\n") == "svm")
        #expect(HostVirtualization.extensions(cpuinfo: "flags\t\t: fpu hypervisor lm\n") == "none")
        #expect(HostVirtualization.extensions(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd\n") == nil)
    }

    @Test func sshTargetsSayWhyTheExtensionsAreUnknown() {
        let facts = HostVirtualization.observations(accelerator: "kvm", adapter: "ssh")
        #expect(facts[HardwareVirtualization.acceleratorKey] == .string("kvm"))
        #expect(facts[HardwareVirtualization.extensionsKey] == nil)
        #expect(facts[Evidence.notRecordedKey(HardwareVirtualization.extensionsKey)] != nil)
    }
}
