import AVPSModel
import Foundation

/// Two targets that exercise every conformance role: one CONFORMANT with deviations (one
/// justified), an absent MAY feature, an attested and a waived MUST; one INCOMPLETE because a MUST
/// has no check. Used by the outcome golden files: every format must say the same.
extension Fixtures {
    static func target(_ name: String, _ results: [RequirementResult]) -> TargetResult {
        TargetResult(name: name, adapter: "qemu", accelerator: "tcg", commandLine: ["qemu-system-x86_64"],
                     profile: ProfileReference(id: "acme-hv-3.2", path: "Profiles/examples/vendor-overlay.yaml",
                                               sha256: String(repeating: "ef", count: 32)),
                     stages: [], evidence: nil, infraError: nil, results: results, artifacts: [:])
    }

    /// A verified statement as `avps run --attestation` records it.
    static let attestation = Attestation(
        statement: "UART passes the vendor's hardware test suite", evidence: "https://acme.example/qa/1234",
        owner: "qa@acme.example", vendor: "Acme Hypervisors", date: CalendarDay(year: 2025, month: 2, day: 20),
        expires: CalendarDay(year: 2027, month: 2, day: 28), file: "attestations/acme-board.yaml",
        sha256: String(repeating: "ab", count: 32), signer: String(repeating: "5e", count: 32))

    static let conformant = target("acme-conformant", [
        result("AVPS2-GEN-01", "general", .must, .pass),
        {
            var attested = result("AVPS2-EMU-01", "general", .must, .attested,
                                  reason: "Attested by qa@acme.example (Acme Hypervisors) on 2025-02-20, until 2027-02-28: "
                                      + "UART passes the vendor's hardware test suite (evidence: https://acme.example/qa/1234; "
                                      + "not measured: UNTESTED: No machine check exists for this requirement yet.)")
            attested.attestation = attestation
            return attested
        }(),
        result("AVPS2-VSOCK-01", "vsock", .must, .waived, reason: "Waived until 2027-06-30 by jane.doe@acme.example"),
        result("AVPS2-STOR-03", "storage", .should, .fail, reason: "virtio2 does not negotiate FLUSH"),
        {
            var justified = result("AVPS2-STOR-06", "storage", .should, .fail, reason: "virtio2 does not negotiate DISCARD")
            justified.justification = Justification(owner: "jane.doe@acme.example", reason: "the backing eMMC has no TRIM",
                                                    grantedBy: "acme-hv-3.2")
            return justified
        }(),
        result("AVPS2-STOR-08", "storage", .may, .notOffered, reason: "Optional (MAY) feature not offered: no LIFETIME"),
    ])

    static let incomplete = target("acme-incomplete", [
        result("AVPS2-GEN-01", "general", .must, .pass),
        result("AVPS2-STOR-09", "storage", .must, .untested, reason: "No machine check exists for this requirement yet."),
        result("AVPS2-STOR-08", "storage", .may, .notOffered, reason: "Optional (MAY) feature not offered: no LIFETIME"),
    ])

    static let outcomes = RunResult(
        toolVersion: "0.1.0-test", startedAt: started, finishedAt: finished,
        host: HostInfo(hostname: "ci-runner-1", kernel: "6.8.0-generic", machine: "x86_64", hypervisorVersion: "QEMU 8.2.2"),
        targets: [conformant, incomplete])
}
