import Foundation

/// What an agent in autonomous mode (PROTOCOL.md 8) printed on a console, read back from its log.
///
/// Each frame arrives as checksummed lines, possibly with kernel messages or a farm's prefixes
/// around them. A frame is believed only when every part is present and its CRC-32 matches; a
/// damaged frame is named (by sequence number and why) so the requirement it would have decided is
/// SKIPPED, never decided by a guess.
public struct ConsoleEvidence: Sendable, Equatable {
    public struct Frame: Sendable, Equatable {
        public var seq: Int
        /// `E` event, `Q` request as the agent ran it, `A` its answer.
        public var kind: Character
        public var text: String
    }

    /// Intact frames in sequence order.
    public private(set) var frames: [Frame] = []
    /// Sequence number → why the frame cannot be used.
    public private(set) var damaged: [Int: String] = [:]
    /// The END line's frame count; nil when the log stops before the plan finished.
    public private(set) var endCount: Int?

    static let marker = "AVPS-EV1 "
    static let endMarker = "AVPS-EV1-END "

    private struct Pending {
        var kind: Character
        var parts: Int
        var crc: UInt32
        var chunks: [Int: Substring] = [:]
    }

    public init(log: String) {
        var pending: [Int: Pending] = [:]
        // Consoles end lines with "\r\n", which Swift reads as one Character: split on any newline.
        for rawLine in log.split(whereSeparator: \.isNewline) {
            guard let line = Self.consoleText(rawLine) else { continue }
            if let end = line.range(of: Self.endMarker) {
                endCount = Int(line[end.upperBound...].prefix { $0.isNumber })
                continue
            }
            guard let start = line.range(of: Self.marker) else { continue }
            let fields = line[start.upperBound...].split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
            guard fields.count == 5, let seq = Int(fields[0]), fields[1].count == 1, let kind = fields[1].first,
                  let (part, parts) = Self.fraction(fields[2]), let crc = UInt32(fields[3], radix: 16) else { continue }
            if seq == 0, part == 1 {  // the guest booted again and started over: the last run counts
                pending = [:]
                endCount = nil
            }
            var entry = pending[seq] ?? Pending(kind: kind, parts: parts, crc: crc)
            if entry.parts != parts || entry.crc != crc || entry.kind != kind {
                entry.chunks = [:]  // two different frames under one number: neither is trusted
                entry.parts = -1
            }
            entry.chunks[part] = fields[4]
            pending[seq] = entry
        }
        let highest = max(pending.keys.max() ?? -1, (endCount ?? 0) - 1)
        guard highest >= 0 else { return }
        for seq in 0...highest {
            guard let entry = pending[seq] else {
                damaged[seq] = "frame \(seq) never reached the console"
                continue
            }
            guard entry.parts > 0 else {
                damaged[seq] = "frame \(seq) was printed twice with different content"
                continue
            }
            let missing = (1...entry.parts).filter { entry.chunks[$0] == nil }
            guard missing.isEmpty else {
                damaged[seq] = "frame \(seq) lacks part(s) \(missing.map(String.init).joined(separator: ", ")) of \(entry.parts)"
                continue
            }
            let text = (1...entry.parts).compactMap { entry.chunks[$0] }.joined()
            guard CRC32.checksum(Array(text.utf8)) == entry.crc else {
                damaged[seq] = "frame \(seq) fails its checksum (mangled on the console)"
                continue
            }
            frames.append(Frame(seq: seq, kind: entry.kind, text: text))
        }
    }

    /// The console text of one log line. A LAVA job log (lava-run's JSON lines on stderr, or a
    /// server's `output.yaml`, the same objects as `- {…}`) carries the guest console in `msg` of
    /// `target`/`feedback` records, with `"` escaped as `\"`; other records are not console text.
    static func consoleText(_ line: Substring) -> Substring? {
        let trimmed = line.hasPrefix("- {") ? line.dropFirst(2) : line
        guard trimmed.hasPrefix("{"), trimmed.contains("\"msg\""),
              let record = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
              let message = record["msg"] as? String else {
            return line
        }
        guard let level = record["lvl"] as? String, level == "target" || level == "feedback" else { return nil }
        return Substring(message.replacingOccurrences(of: "\\\"", with: "\""))
    }

    private static func fraction(_ field: Substring) -> (Int, Int)? {
        let halves = field.split(separator: "/")
        guard halves.count == 2, let part = Int(halves[0]), let parts = Int(halves[1]),
              parts >= 1, part >= 1, part <= parts, parts <= 1 << 16 else { return nil }
        return (part, parts)
    }
}

/// CRC-32 with zlib's polynomial: detects a console line mangled in transit (not a security
/// check; the evidence is the guest's word either way).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }
}
