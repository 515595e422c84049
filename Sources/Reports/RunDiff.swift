import AVPSModel

/// What changed between a baseline run (last night) and the current one: the nightly gate.
///
/// Requirements are matched by (target name, profile id, requirement key). A regression is a
/// requirement that passed and now does not (other than becoming NOT_APPLICABLE or WAIVED), one
/// that now FAILs, ERRORs or is INFRA when it did not, or one that is missing from the current
/// run: a nightly that silently stops measuring something must not go green. An optional (MAY)
/// feature that stops being offered is listed (`newly-not-offered`) but is not a regression: it
/// never counts against conformance (`Conformance`). Each target's outcome is shown before and after.
public struct RunDiff: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case regression, fix
        case newlyNotApplicable = "newly-not-applicable"
        /// An optional (MAY) feature that is no longer offered: informational, not a regression.
        case newlyNotOffered = "newly-not-offered"
        case changed, added
    }

    public struct Change: Sendable, Equatable {
        public var kind: Kind
        public var target: String
        public var key: String
        public var title: String
        public var level: RequirementLevel?
        public var before: Verdict?
        public var after: Verdict?
        public var reason: String
    }

    public struct Measurement: Sendable, Equatable {
        public var target: String
        public var figure: String
        public var before: Double
        public var after: Double
        /// (after - before) / |before|; infinite when the baseline was zero.
        public var relativeChange: Double
    }

    /// A target's conformance outcome in both runs (`Conformance.outcome`); nil: not in that run.
    public struct OutcomeChange: Sendable, Equatable {
        public var target: String
        public var before: Conformance.Status?
        public var after: Conformance.Status?
    }

    public var changes: [Change]
    public var outcomes: [OutcomeChange]
    public var measurements: [Measurement]
    /// Relative tolerance for measurements, e.g. 0.1 for 10 %.
    public var tolerance: Double

    public var regressions: [Change] { changes.filter { $0.kind == .regression } }
    public var hasRegression: Bool { !regressions.isEmpty }

    static let bad: Set<Verdict> = [.fail, .error, .infra]

    public init(baseline: RunResult, current: RunResult, tolerance: Double) {
        self.tolerance = tolerance
        var changes: [Change] = []
        var measurements: [Measurement] = []
        var outcomes: [OutcomeChange] = []
        let before = Dictionary(baseline.targets.map { (Self.targetKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        var seen: Set<String> = []
        for target in current.targets {
            let key = Self.targetKey(target)
            seen.insert(key)
            let old = before[key]
            outcomes.append(OutcomeChange(target: key, before: old.map { Conformance.outcome(of: $0).status },
                                          after: Conformance.outcome(of: target).status))
            let oldResults = Dictionary((old?.results ?? []).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            for result in target.results {
                if let change = Self.classify(oldResults[result.key], result, target: key) { changes.append(change) }
            }
            let newKeys = Set(target.results.map(\.key))
            for result in old?.results ?? [] where !newKeys.contains(result.key) {
                changes.append(Self.missing(result, target: key))
            }
            if let old { measurements += Self.measured(old, target, target: key, tolerance: tolerance) }
        }
        for target in baseline.targets where !seen.contains(Self.targetKey(target)) {
            changes += target.results.map { Self.missing($0, target: Self.targetKey(target)) }
            outcomes.append(OutcomeChange(target: Self.targetKey(target), before: Conformance.outcome(of: target).status, after: nil))
        }
        self.outcomes = outcomes
        self.changes = changes
        self.measurements = measurements
    }

    static func targetKey(_ target: TargetResult) -> String { "\(target.name) [\(target.profile.id)]" }

    static func classify(_ old: RequirementResult?, _ new: RequirementResult, target: String) -> Change? {
        guard let old else {
            return Change(kind: .added, target: target, key: new.key, title: new.title, level: new.level,
                          before: nil, after: new.verdict, reason: new.reason)
        }
        guard old.verdict != new.verdict else { return nil }
        let kind: Kind
        if new.verdict == .notApplicable {
            kind = .newlyNotApplicable
        } else if Conformance.role(of: new) == .notOffered {
            kind = Conformance.role(of: old) == .notOffered ? .changed : .newlyNotOffered
        } else if bad.contains(new.verdict) && !bad.contains(old.verdict) {
            kind = .regression
        } else if Tally.passing.contains(old.verdict) && !Tally.passing.contains(new.verdict) && new.verdict != .waived {
            kind = .regression
        } else if Tally.passing.contains(new.verdict) && !Tally.passing.contains(old.verdict) {
            kind = .fix
        } else {
            kind = .changed
        }
        return Change(kind: kind, target: target, key: new.key, title: new.title, level: new.level,
                      before: old.verdict, after: new.verdict, reason: new.reason)
    }

    static func missing(_ old: RequirementResult, target: String) -> Change {
        Change(kind: .regression, target: target, key: old.key, title: old.title, level: old.level,
               before: old.verdict, after: nil, reason: "missing from the current run")
    }

    static func measured(_ old: TargetResult, _ new: TargetResult, target: String, tolerance: Double) -> [Measurement] {
        let before = Dictionary(MeasuredFigures.of(old.evidence).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        return MeasuredFigures.of(new.evidence).compactMap { figure in
            guard let was = before[figure.name], was != figure.value else { return nil }
            let relative = was == 0 ? Double.infinity : (figure.value - was) / abs(was)
            guard abs(relative) > tolerance else { return nil }
            return Measurement(target: target, figure: figure.name, before: was, after: figure.value,
                               relativeChange: relative)
        }
    }
}
