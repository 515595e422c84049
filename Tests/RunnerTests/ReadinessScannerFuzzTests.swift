import Testing
@testable import Runner

/// The serial-console readiness parser against a reference on 100,000 mutated consoles split at
/// random points: the stages it reports are exactly the ones the whole stream shows, in order.
@Suite("Readiness scanner fuzzing")
struct ReadinessScannerFuzzTests {
    static let iterations = 100_000

    /// xorshift64*, seeded: a failure names the iteration and repeats.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Int((state &* 0x2545F4914F6CDD1D) >> 33) % max(bound, 1)
        }
    }

    static let pieces: [[UInt8]] = BootWatcher.markers.map { Array($0.text.utf8) }
        + [Array("avps-init".utf8), Array("avps-init: start".utf8), Array("starting agent".utf8), Array("\r\n".utf8),
           [0xFF, 0xFE, 0xC3], [0], Array("Linux version 6.1\n".utf8), Array("\u{1B}[2J".utf8)]

    static func console(_ random: inout Random) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<random.next(12) {
            if random.next(3) == 0 {
                bytes += (0..<random.next(40)).map { _ in UInt8(random.next(256)) }
            } else {
                var piece = pieces[random.next(pieces.count)]
                if random.next(5) == 0, !piece.isEmpty { piece.remove(at: random.next(piece.count)) }  // a damaged marker
                bytes += piece
            }
        }
        return bytes
    }

    /// What the whole stream shows, computed without chunks.
    static func reference(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }
        var stages = [ReadinessScanner.outputStage]
        for marker in BootWatcher.markers {
            guard bytes.firstRange(of: Array(marker.text.utf8)) != nil else { break }
            stages.append(marker.stage)
        }
        return stages
    }

    @Test("chunked scanning equals the whole-stream reference on 100,000 mutated consoles")
    func agreesWithReference() {
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        var reachedAll = 0
        for iteration in 0..<Self.iterations {
            let bytes = Self.console(&random)
            var scanner = ReadinessScanner(markers: BootWatcher.markers)
            var found: [String] = []
            var position = 0
            while position < bytes.count {
                let size = 1 + random.next(random.next(2) == 0 ? 3 : 64)
                found += scanner.feed(bytes[position..<min(bytes.count, position + size)])
                position += size
            }
            let expected = Self.reference(bytes)
            if found != expected {
                Issue.record("iteration \(iteration): \(found) != \(expected) for \(bytes)")
                return
            }
            if expected.count == 3 { reachedAll += 1 }
        }
        // The generator must exercise every outcome, not only the empty one.
        #expect(reachedAll > Self.iterations / 20, "\(reachedAll) consoles reached every stage")
    }
}
