import AVPSModel
import Scoring
import Testing

/// Who is at fault decides the verdict of a probe check: the device's failures are FAIL naming the
/// operation and errno, a device that offers read-only is NOT_APPLICABLE for writes, a fact the
/// probe could not measure is SKIPPED, and only a fact missing without any reason is ERROR.
@Suite("probe facts: FAIL vs ERROR vs NOT_APPLICABLE")
struct ProbeFaultTests {
    private let verified = Check.probe(name: "block.integrity", device: .deviceID(Make.block), fact: "verified", Comparison(.eq, .bool(true)))

    private func evidence(_ runs: ProbeResult...) -> Evidence {
        var evidence = Make.evidence(Make.device("virtio1", id: Make.block), Make.device("virtio2", id: Make.block))
        evidence.probes = runs
        return evidence
    }

    private func run(_ device: String, _ facts: [String: FactValue]) -> ProbeResult {
        ProbeResult(name: "block.integrity", device: device, status: .ok, facts: facts)
    }

    @Test func aFailedWriteIsFailNamingTheOperationAndErrno() throws {
        let broken = run("virtio1", ["write_ok": .bool(false), "verified": .bool(false),
                                     "write_error": .string("write at 1048576: EIO (Input/output error)"),
                                     "fault": .string("write at 1048576: EIO (Input/output error)")])
        let result = try #require(Make.score(verified, evidence(broken)))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("write_error: write at 1048576: EIO (Input/output error)"), "\(result.reason)")
    }

    @Test func aMissingFactWithAFaultIsFailNotError() throws {
        let stalled = run("virtio1", ["fault": .string("no answer from the device within 12 s")])
        let result = try #require(Make.score(verified, evidence(stalled)))
        #expect(result.verdict == .fail)
        #expect(result.reason.contains("the device failed (no answer from the device within 12 s)"), "\(result.reason)")
    }

    @Test func aReadOnlyDiskIsNotApplicableWithTheProbesReason() throws {
        let readOnly = run("virtio1", ["read_only": .bool(true), "read_ok": .bool(true),
                                       "not_applicable": .string("the disk is read-only (the device offers VIRTIO_BLK_F_RO)")])
        let result = try #require(Make.score(verified, evidence(readOnly)))
        #expect(result.verdict == .notApplicable)
        #expect(result.reason.contains("VIRTIO_BLK_F_RO"), "\(result.reason)")
        // ... while a read-side check on the same run is still judged.
        let read = Check.probe(name: "block.integrity", device: .deviceID(Make.block), fact: "read_ok", Comparison(.eq, .bool(true)))
        #expect(Make.score(read, evidence(readOnly))?.verdict == .pass)
    }

    @Test func aReadOnlyDiskBesideAWritableOneLeavesTheWritableOneJudged() throws {
        let readOnly = run("virtio1", ["not_applicable": .string("read-only")])
        let good = run("virtio2", ["verified": .bool(true)])
        let bad = run("virtio2", ["verified": .bool(false)])
        #expect(Make.score(verified, evidence(readOnly, good))?.verdict == .pass)
        #expect(Make.score(verified, evidence(readOnly, bad))?.verdict == .fail)
    }

    @Test func anUnmeasuredFactIsSkippedWithTheReason() throws {
        let check = Check.probe(name: "entropy.rate", device: nil, fact: "chi_square", Comparison(.le, .int(377)))
        let short = ProbeResult(name: "entropy.rate", device: nil, status: .ok,
                                facts: ["bytes": .int(100), "unmeasured": .string("only 100 bytes arrived, too few")])
        var evidence = Make.evidence()
        evidence.probes = [short]
        let result = try #require(Make.score(check, evidence))
        #expect(result.verdict == .skipped && result.reason.contains("too few"), "\(result.reason)")
    }

    @Test func aMissingFactWithoutAReasonStaysError() throws {
        let result = try #require(Make.score(verified, evidence(run("virtio1", ["write_ok": .bool(true)]))))
        #expect(result.verdict == .error)
    }
}
