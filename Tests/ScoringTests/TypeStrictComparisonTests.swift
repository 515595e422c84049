import AVPSModel
import Testing
@testable import Scoring

/// A number is not a boolean and text is not a number: an agent answering `verified: 1` or
/// `"true"` must not satisfy `verified eq true` (it did).
@Suite("Type-strict comparisons")
struct TypeStrictComparisonTests {
    @Test("only a boolean satisfies eq true; other types are incomparable (ERROR), not a pass")
    func booleans() {
        let check = Comparison(.eq, .bool(true))
        #expect(ComparisonEvaluator.evaluate(.bool(true), check) == .holds)
        #expect(ComparisonEvaluator.evaluate(.bool(false), check) == .violated)
        for wrong: FactValue in [.int(1), .double(1), .string("true"), .list([.bool(true)])] {
            guard case .incomparable(let why) = ComparisonEvaluator.evaluate(wrong, check) else {
                Issue.record("\(wrong) compared with eq true"); continue
            }
            #expect(why.contains("needs a boolean"), "\(why)")
        }
    }

    @Test("numbers still compare across int and double; text is not a number")
    func numbers() {
        #expect(ComparisonEvaluator.evaluate(.int(1), Comparison(.eq, .double(1))) == .holds)
        #expect(ComparisonEvaluator.evaluate(.double(2.5), Comparison(.ge, .int(2))) == .holds)
        #expect(ComparisonEvaluator.evaluate(.bool(true), Comparison(.ge, .int(1))) != .holds)
        #expect(ComparisonEvaluator.evaluate(.string("1500"), Comparison(.eq, .int(1500))) != .holds)
    }
}
