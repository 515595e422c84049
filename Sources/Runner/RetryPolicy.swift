import AVPSModel

/// Decides when a target is booted again and how attempts combine.
///
/// Every attempt is kept (the last one's evidence and artifacts are reported, earlier attempts'
/// artifacts stay in `attempt-N` directories). A requirement that passes only after a failed attempt
/// is FLAKY, never PASS: a certification must not hide an intermittent platform bug.
enum RetryPolicy {
    static func needsRetry(_ results: [TargetResult]) -> Bool {
        results.contains { result in
            result.infraError != nil || result.results.contains { [.fail, .error, .infra].contains($0.verdict) }
        }
    }

    /// Combines attempts (each one result per profile, same order) into the final results.
    static func combine(_ attempts: [[TargetResult]]) -> [TargetResult] {
        guard var final = attempts.last else { return [] }
        let earlier = attempts.dropLast()
        for index in final.indices {
            final[index].attempts = attempts.count
            guard !earlier.isEmpty else { continue }
            let failedBefore = Set(earlier.flatMap { attempt -> [String] in
                guard index < attempt.count else { return [] }
                return attempt[index].results.filter { [.fail, .error, .infra].contains($0.verdict) }.map(\.key)
            })
            for row in final[index].results.indices where final[index].results[row].verdict == .pass
                && failedBefore.contains(final[index].results[row].key) {
                final[index].results[row].verdict = .flaky
                final[index].results[row].reason += " (passed on attempt \(attempts.count) after failing earlier)"
            }
        }
        return final
    }
}
