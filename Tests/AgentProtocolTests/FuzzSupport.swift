import AgentProtocol
import Synchronization

/// SplitMix64: a tiny seeded generator, so a fuzz failure can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte-level mutations of a valid input: the damage a broken or hostile peer can do.
enum ByteMutator {
    /// Bytes that matter to JSON and to the framer, plus invalid UTF-8 lead/continuation bytes.
    static let interesting: [UInt8] = Array(#"{}[]":,\-0123456789.eEtrufalsn "#.utf8) + [0x00, 0x0A, 0x0D, 0x80, 0xBF, 0xC0, 0xC3, 0xED, 0xF4, 0xFF]

    static func mutate(_ input: [UInt8], using rng: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[at] = interesting.randomElement(using: &rng) ?? 0
            case 2: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in interesting.randomElement(using: &rng) ?? 0 }, at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 4: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...64, using: &rng))], at: at)
            case 5: bytes.removeLast(Int.random(in: 0...min(bytes.count, 32), using: &rng))
            default: // a digit run becomes another number (ids, lengths, feature bits)
                if (0x30...0x39).contains(bytes[at]) { bytes[at] = UInt8.random(in: 0x30...0x39, using: &rng) }
            }
        }
        return bytes
    }

    /// Splits `bytes` at random points, as a socket might deliver them.
    static func chunks(_ bytes: [UInt8], using rng: inout SeededRandom) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            let length = Int.random(in: 1...max(1, bytes.count / 3 + 1), using: &rng)
            result.append(Array(bytes[start..<min(bytes.count, start + length)]))
            start += length
        }
        return result
    }
}

/// A `ByteStream` double that hands out fixed chunks, then end of stream; writes are accepted and dropped.
final class ChunkStream: ByteStream {
    private let remaining: Mutex<[[UInt8]]>

    init(_ chunks: [[UInt8]]) { remaining = Mutex(chunks) }

    func read(maxBytes: Int, deadline: ContinuousClock.Instant, waitingFor: String) async throws(AgentError) -> [UInt8] {
        remaining.withLock { chunks in
            guard var first = chunks.first else { return [] }
            let head = Array(first.prefix(maxBytes))
            first.removeFirst(head.count)
            if first.isEmpty { chunks.removeFirst() } else { chunks[0] = first }
            return head
        }
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws(AgentError) {}

    func close() { remaining.withLock { $0 = [] } }
}
