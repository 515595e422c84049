import AVPSModel

/// The numeric facts of a target: probe facts and host observations that are numbers.
///
/// Shared by report.html (charts per target), the matrix (figures side by side) and diff
/// (changes beyond a tolerance), so all three name a figure the same way.
public enum MeasuredFigures {
    public struct Figure: Equatable, Sendable {
        /// `probe[device].fact` or `host.name`.
        public var name: String
        /// The probe name (`block.integrity`) or `host`; used to group figures by category.
        public var source: String
        public var value: Double
    }

    /// Sorted by name so every report lists them in the same order.
    public static func of(_ evidence: Evidence?) -> [Figure] {
        guard let evidence else { return [] }
        var figures: [Figure] = []
        for probe in evidence.probes where probe.status == .ok {
            let prefix = probe.name + (probe.device.map { "[\($0)]" } ?? "")
            for (fact, value) in probe.facts {
                if let number = measured(value) {
                    figures.append(Figure(name: "\(prefix).\(fact)", source: probe.name, value: number))
                }
            }
        }
        for (name, value) in evidence.hostObservations {
            if let number = measured(value) { figures.append(Figure(name: "host.\(name)", source: "host", value: number)) }
        }
        return figures.sorted { $0.name < $1.name }
    }

    /// Integers and finite doubles are measurements; booleans, strings and lists are not.
    private static func measured(_ value: FactValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number.isFinite ? number : nil
        case .bool, .string, .list: nil
        }
    }
}
