import Foundation

/// Dates and durations as the reports write them.
///
/// results.json keeps millisecond precision (`2025-03-01T12:00:00.250Z`) so two runs in the same
/// second stay ordered, and rounds to whole milliseconds on both encode and decode so that
/// `decode(encode(run)) == run` holds for any date already on a millisecond boundary.
enum Timestamps {
    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC.
    static func iso8601Millis(_ date: Date) -> String {
        let totalMillis = millis(date)
        let seconds = Date(timeIntervalSince1970: Double(floorDiv(totalMillis, 1000)))
        let whole = seconds.formatted(Date.ISO8601FormatStyle())  // "…:ssZ"
        let fraction = pad(Int(floorMod(totalMillis, 1000)), width: 3)
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    /// `yyyy-MM-ddTHH:mm:ss` in UTC, without a zone: the JUnit/Ant convention, which several CI
    /// servers parse with a zone-less pattern.
    static func junitTimestamp(_ date: Date) -> String {
        let whole = Date(timeIntervalSince1970: Double(floorDiv(millis(date), 1000)))
        return String(whole.formatted(Date.ISO8601FormatStyle()).dropLast())
    }

    /// Parses what `iso8601Millis` writes, and also the same form without a fraction or with up
    /// to nine fraction digits (other tools may write those); anything else is nil.
    static func parse(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        var body = Substring(text.dropLast())
        var fractionMillis: Int64 = 0
        if let dot = body.firstIndex(of: ".") {
            let digits = body[body.index(after: dot)...]
            guard (1...9).contains(digits.count), digits.allSatisfy(\.isASCIIDigit),
                  let value = Int64(digits.padding(toLength: 9, withPad: "0", startingAt: 0))
            else { return nil }
            fractionMillis = (value + 500_000) / 1_000_000
            body = body[..<dot]
        }
        guard let whole = try? Date(String(body) + "Z", strategy: Date.ISO8601FormatStyle()) else { return nil }
        let totalMillis = Int64((whole.timeIntervalSince1970 * 1000).rounded()) + fractionMillis
        return Date(timeIntervalSince1970: Double(totalMillis) / 1000)
    }

    /// Seconds with three decimals and no locale or exponent (`12.345`), as JUnit's SUREFIRE_TIME
    /// pattern and people expect. Negative and non-finite values read as zero.
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.000" }
        let totalMillis = Int64((value * 1000).rounded())
        return "\(totalMillis / 1000)." + pad(Int(totalMillis % 1000), width: 3)
    }

    private static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    private static func pad(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
