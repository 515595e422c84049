import AVPSProfiles
import Foundation
import Testing

/// Seeded fuzzing of the profile loader with mutations of the shipped profiles: lines dropped,
/// repeated, swapped, re-indented; values replaced by YAML-hostile tokens; bytes damaged. The
/// loader must never crash, and every refusal must be a `LoadError` that names the file and a
/// line, as `avps profile lint` promises.
@Suite("Profile loader fuzzing", .timeLimit(.minutes(4)))
struct ProfileFuzzTests {
    static let iterations = 100_000

    /// Values that stress YAML typing, anchors, tags, nesting and numbers.
    static let hostileValues = [
        "", "~", "null", "[]", "{}", "[", "{", "\"", "'", "-1", "0x7fffffffffffffff", "99999999999999999999999",
        "1e400", ".nan", "&a x", "*a", "*undefined", "!!binary AAAA", "!!map {}", "!custom x", "yes", "MUST ",
        "{ feature_offered: { device: any } }", "{ feature_offered: [] }", "{ all: [ { any: [] } ] }",
        "{ device_present: { device: 99999 } }", "\"\\u0000\"", "é\u{202E}", "- - -", "? x", "| \n", "%TAG",
    ]

    static let profiles: [String] = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let directory = url.appendingPathComponent("Profiles")
            // The header and the first two requirements of each: every kind of field and check
            // the loader reads, short enough that 100,000 parses stay within seconds.
            let texts = ["virtio-generic.yaml", "automotive-extras.yaml", "avps-2.0.yaml"].compactMap {
                try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
            }.map { $0.components(separatedBy: "\n  - key:").prefix(3).joined(separator: "\n  - key:") }
            if !texts.isEmpty { return texts }
        }
        return []
    }()

    @Test("100,000 mutated profiles: no crash, every error is a LoadError naming file and line")
    func mutatedProfilesFailTyped() async throws {
        try #require(!Self.profiles.isEmpty, "Profiles/*.yaml not found from \(#filePath)")
        // Seconds of pure CPU: run them on a thread of their own, not on the cooperative pool the
        // timing-sensitive tests running alongside need.
        let (loaded, refused, untraceable) = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.fuzz()) }.start()
        }
        #expect(untraceable.isEmpty, "\(untraceable)")
        #expect(loaded > 0 && refused > Self.iterations / 10, "loaded \(loaded), refused \(refused)")
    }

    static func fuzz() -> (loaded: Int, refused: Int, untraceable: [String]) {
        var rng = SeededRandom(seed: 0x9F0F11E)
        var loaded = 0
        var refused = 0
        for iteration in 0..<iterations {
            let base = profiles[iteration % profiles.count]
            let text = mutate(base, using: &rng)
            do throws(LoadError) {
                _ = try ProfileLoader.load(yaml: text, file: "fuzz.yaml")
                loaded += 1
            } catch {
                refused += 1
                if error.file != "fuzz.yaml" || error.line < 0 || error.message.isEmpty {
                    return (loaded, refused, ["iteration \(iteration): untraceable error \(error)"])
                }
            }
        }
        return (loaded, refused, [])
    }

    static func mutate(_ text: String, using rng: inout SeededRandom) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !lines.isEmpty {
            let at = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: lines.remove(at: at)
            case 1: lines.insert(lines[at], at: at)
            case 2: lines.swapAt(at, Int.random(in: 0..<lines.count, using: &rng))
            case 3: lines[at] = String(repeating: " ", count: Int.random(in: 0...8, using: &rng)) + lines[at].drop { $0 == " " }
            case 4, 5:
                if let colon = lines[at].range(of: ": ") {
                    lines[at] = lines[at][..<colon.upperBound] + (hostileValues.randomElement(using: &rng) ?? "")
                }
            default:
                var bytes = Array(lines[at].utf8)
                if !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                lines[at] = String(decoding: bytes, as: UTF8.self)
            }
        }
        return lines.joined(separator: "\n")
    }
}

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
