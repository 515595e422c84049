@testable import Scoring
import AVPSModel
import Testing

/// AVPS2-HWV-01 from the host's observations: accelerator used against the CPU's extensions.
@Suite struct HardwareVirtualizationTests {
    static func score(_ observations: [String: FactValue]) throws -> RequirementResult {
        var evidence = Make.evidence()
        evidence.hostObservations = observations
        return try #require(Make.score(.hardwareVirtualization, evidence))
    }

    static let tcg = FactValue.string("tcg"), kvm = FactValue.string("kvm")

    @Test func noExtensionsIsNotApplicableWithTheReason() throws {
        let result = try Self.score([HardwareVirtualization.acceleratorKey: Self.tcg, HardwareVirtualization.extensionsKey: .string("none")])
        #expect(result.verdict == .notApplicable)
        #expect(result.reason.contains("no vmx or svm flag") && result.reason.contains("accelerator tcg"))
    }

    @Test func extensionsButEmulatedFails() throws {
        let result = try Self.score([HardwareVirtualization.acceleratorKey: Self.tcg, HardwareVirtualization.extensionsKey: .string("vmx")])
        #expect(result.verdict == .fail)
        #expect(result.reason == "The host CPU offers vmx but the platform emulated the CPU (accelerator tcg) instead of using it.")
    }

    @Test func extensionsUsedPasses() throws {
        let result = try Self.score([HardwareVirtualization.acceleratorKey: Self.kvm, HardwareVirtualization.extensionsKey: .string("svm")])
        #expect(result.verdict == .pass)
    }

    @Test func unknownIsSkippedNeverPass() throws {
        let result = try Self.score([HardwareVirtualization.acceleratorKey: Self.kvm,
                                     Evidence.notRecordedKey(HardwareVirtualization.extensionsKey): .string("another host")])
        #expect(result.verdict == .skipped && result.reason.contains("another host"))
        #expect(try Self.score([:]).verdict == .skipped)
    }
}
