import AVPSModel
import HypervisorCore
@testable import Runner
import Testing

/// Which boot shortcuts each kind of target gets (`BootArtifacts.lean(for:)`).
@Suite struct FastBootTests {
    let boot = BootArtifacts(kernel: "vmlinux", initrd: "initrd", kernelCommandLine: "console=ttyS0 quiet")

    func words(_ target: TargetSpec) -> [Substring] {
        boot.lean(for: target).kernelCommandLine.split(separator: " ")
    }

    @Test func aQEMUTargetWithoutCryptoSkipsSelfTestsAndLoadsItsModules() {
        let words = words(TargetSpec(name: "t", devices: [.entropy, .block(sizeMiB: 16)]))
        #expect(words.prefix(2) == ["console=ttyS0", "quiet"])
        #expect(words.contains("avps.modules=block,entropy"))
        #expect(words.contains("cryptomgr.notests"))
        #expect(words.contains("rodata=off"))
    }

    @Test func aCryptoDeviceKeepsTheSelfTestsThatVetItsAlgorithms() {
        #expect(!words(TargetSpec(name: "t", devices: [.crypto])).contains("cryptomgr.notests"))
        #expect(!words(TargetSpec(name: "t", devices: [.entropy, .legacy(.crypto)])).contains("cryptomgr.notests"))
    }

    @Test func externalTargetsKeepEveryModuleAndTheSelfTests() {
        let words = words(TargetSpec(name: "t", adapter: "external", devices: [.entropy]))
        #expect(!words.contains { $0.hasPrefix("avps.modules=") })
        #expect(!words.contains("cryptomgr.notests"))
        #expect(words.contains("rodata=off"))
    }
}
