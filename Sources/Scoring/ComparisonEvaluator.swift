import AVPSModel

/// Compares a measured value with a profile threshold.
///
/// Ordering operators need numbers on both sides; `eq`/`ne` compare numerically when both sides
/// are numbers (so `1` equals `1.0`) and textually otherwise. A measured value of the wrong type
/// is an ERROR (the harness and the agent disagree), not a FAIL of the platform. Types are strict:
/// a boolean is only compared with a boolean (an agent answering `verified: 1` or `"true"` must
/// not satisfy `verified eq true`), a number with a number, text with text.
enum ComparisonEvaluator {
    enum Result: Equatable {
        case holds
        case violated
        /// The values cannot be compared; the text says why.
        case incomparable(String)
    }

    static func evaluate(_ measured: FactValue, _ comparison: Comparison) -> Result {
        guard comparison.op != .present, let expected = comparison.value else { return .holds }
        guard kind(measured) == kind(expected) else {
            return .incomparable("\(measured) is a \(kind(measured)), but \(comparison) needs a \(kind(expected))")
        }
        if let lhs = measured.number, let rhs = expected.number {
            return holds(lhs, comparison.op, rhs) ? .holds : .violated
        }
        switch comparison.op {
        case .eq: return measured.description == expected.description ? .holds : .violated
        case .ne: return measured.description != expected.description ? .holds : .violated
        default: return .incomparable("\(measured) is not a number, so it cannot be compared with \(comparison)")
        }
    }

    private static func kind(_ value: FactValue) -> String {
        switch value {
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .list: "list"
        }
    }

    static func holds(_ lhs: Double, _ op: ComparisonOperator, _ rhs: Double) -> Bool {
        switch op {
        case .eq: lhs == rhs
        case .ne: lhs != rhs
        case .ge: lhs >= rhs
        case .le: lhs <= rhs
        case .gt: lhs > rhs
        case .lt: lhs < rhs
        case .present: true
        }
    }
}
