import AVPSModel

extension CheckEvaluator {
    /// The self-check of the inventory against the hypervisor's own account (QMP
    /// x-query-virtio-status): agreement PASS, disagreement ERROR naming both values (the harness
    /// cannot trust its agent), no oracle on this adapter NOT_APPLICABLE, an oracle that could not
    /// answer SKIPPED.
    static func inventoryCorroborated(_ observations: [String: FactValue]) -> Outcome {
        if case .list(let found)? = observations[VerdictBasis.disagreementKey] {
            let texts = found.map { value -> String in if case .string(let text) = value { text } else { "\(value)" } }
            return Outcome(verdict: .error,
                           reason: "The agent's inventory disagrees with QEMU's own account of its virtio devices: \(texts.joined(separator: "; ")).",
                           evidence: texts)
        }
        if let count = observations[VerdictBasis.corroborationKey] {
            return Outcome(verdict: .pass,
                           reason: "The agent's device list and offered feature bits agree with QEMU's x-query-virtio-status (\(count) devices).",
                           evidence: [])
        }
        if case .string(let why)? = observations[VerdictBasis.unavailableKey] {
            return Outcome(verdict: .skipped, reason: "QEMU could not be asked for its virtio devices: \(why).", evidence: [])
        }
        if case .string(let why)? = observations[Evidence.notRecordedKey(VerdictBasis.corroborationKey)] {
            return Outcome(verdict: .skipped, reason: "The host did not compare the inventory with the hypervisor's account: \(why).",
                           evidence: [])
        }
        return Outcome(verdict: .notApplicable,
                       reason: "This adapter gives the host no independent account of the guest's devices (no QMP), so the inventory rests on the guest's word.",
                       evidence: [])
    }

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
