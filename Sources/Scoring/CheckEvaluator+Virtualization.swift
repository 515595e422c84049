import AVPSModel

extension CheckEvaluator {
    /// AVPS2-HWV-01 from what the host recorded: which accelerator ran the guest and whether the
    /// host CPU offers virtualization extensions. No extensions: NOT_APPLICABLE (nothing to use);
    /// extensions but an emulating accelerator (TCG): FAIL; extensions used: PASS.
    static func hardwareVirtualization(_ observations: [String: FactValue]) -> Outcome {
        guard case .string(let accelerator)? = observations[HardwareVirtualization.acceleratorKey] else {
            let why = observations[Evidence.notRecordedKey(HardwareVirtualization.acceleratorKey)].map { ": \($0)" } ?? ""
            return Outcome(verdict: .skipped, reason: "The host did not record which accelerator ran the guest\(why).", evidence: [])
        }
        let used = "accelerator \(accelerator)"
        guard case .string(let cpu)? = observations[HardwareVirtualization.extensionsKey] else {
            let why = observations[Evidence.notRecordedKey(HardwareVirtualization.extensionsKey)].map { ": \($0)" } ?? ""
            return Outcome(verdict: .skipped, reason: "Whether the host CPU offers virtualization extensions is unknown\(why).",
                           evidence: ["host: \(used)"])
        }
        let lines = ["host: \(used)", "host CPU virtualization extensions: \(cpu)"]
        if cpu == "none" {
            return Outcome(verdict: .notApplicable,
                           reason: "The host CPU offers no virtualization extensions (no vmx or svm flag), so there is no hardware support to use; the guest ran with \(used).",
                           evidence: lines)
        }
        if HardwareVirtualization.hardwareAccelerators.contains(accelerator) {
            return Outcome(verdict: .pass, reason: "The host CPU offers \(cpu) and the hypervisor used it (\(used)).", evidence: lines)
        }
        return Outcome(verdict: .fail,
                       reason: "The host CPU offers \(cpu) but the platform emulated the CPU (\(used)) instead of using it.",
                       evidence: lines)
    }
}
