/// Finds the boot stages in a serial console stream that arrives in arbitrary chunks.
///
/// Pure, so it can be fuzzed: a stage is reached exactly when the whole stream so far contains its
/// marker and every earlier stage was reached, however the bytes were split. Works on bytes (the
/// markers are ASCII; a console is not necessarily UTF-8) and keeps only a carry of the last
/// marker length minus one bytes between chunks, never the stream.
struct ReadinessScanner {
    static let outputStage = "console output"

    private let markers: [(stage: String, bytes: [UInt8])]
    private var seen: [Bool]
    private var reachedCount = 0
    private var sawOutput = false
    private var carry: [UInt8] = []
    private let carryLength: Int

    init(markers: [(stage: String, text: String)]) {
        self.markers = markers.map { ($0.stage, Array($0.text.utf8)) }
        seen = Array(repeating: false, count: markers.count)
        carryLength = max(0, (self.markers.map(\.bytes.count).max() ?? 1) - 1)
    }

    /// Every stage reached.
    var done: Bool { sawOutput && reachedCount == markers.count }

    /// Feeds the next bytes; returns the stages reached by them, in order.
    mutating func feed(_ chunk: some Collection<UInt8>) -> [String] {
        guard !chunk.isEmpty else { return [] }
        var reached: [String] = []
        if !sawOutput {
            sawOutput = true
            reached.append(Self.outputStage)
        }
        let window = carry + chunk
        for (index, marker) in markers.enumerated() where !seen[index] {
            seen[index] = window.firstRange(of: marker.bytes) != nil
        }
        while reachedCount < markers.count, seen[reachedCount] {
            reached.append(markers[reachedCount].stage)
            reachedCount += 1
        }
        carry = Array(window.suffix(carryLength))
        return reached
    }
}
