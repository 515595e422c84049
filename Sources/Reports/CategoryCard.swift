import AVPSModel

/// The per-category evaluation card of the matrix, after the criteria the AVPS working group
/// used to judge a device standard: how many implementations meet it, where its features are
/// offered, and how the implementations measure side by side.
struct CategoryCard {
    var category: String
    /// Columns whose MUST requirements of this category were all decided in the platform's favour
    /// (`Conformance.role` is `decided`: passed, waived or attested), and at least one applied.
    var passing: [Int]
    /// Columns where at least one MUST of this category applied.
    var assessed: [Int]
    /// Per column: devices of the category and their offered (or negotiated) feature bits.
    var offered: [String]
    var columns: [FigureCharts.Column]
    var probePrefixes: Set<String>

    /// Virtio device ids and probe-name prefixes behind each profile category.
    static let categoryDevices: [String: (ids: Set<Int>, probes: Set<String>)] = [
        "storage": ([2, 8], ["block", "scsi", "storage"]),
        "network": ([1], ["net", "network"]),
        "entropy": ([4], ["entropy", "rng"]),
        "console": ([3], ["console"]),
        "balloon": ([5], ["balloon"]),
        "vsock": ([19], ["vsock"]),
        "input": ([18], ["input"]),
        "gpu": ([16], ["gpu"]),
        "sound": ([25], ["sound"]),
        "crypto": ([20], ["crypto"]),
        "iommu": ([23], ["iommu"]),
        "filesystem": ([9, 26], ["9p", "fs", "virtiofs"]),
        "watchdog": ([], ["watchdog"]),
    ]

    init(category: String, rows: [Matrix.Row], matrix: Matrix) {
        self.category = category
        let mapping = Self.categoryDevices[category] ?? ([], [category])
        probePrefixes = mapping.probes
        var passing: [Int] = [], assessed: [Int] = []
        for index in matrix.columns.indices {
            let musts = rows.compactMap { $0.cells[index] }.filter { $0.level == .must && $0.verdict != .notApplicable }
            guard !musts.isEmpty else { continue }
            assessed.append(index)
            if musts.allSatisfy({ Conformance.role(of: $0) == .decided }) { passing.append(index) }
        }
        self.passing = passing
        self.assessed = assessed
        offered = matrix.columns.map { column in
            let devices = column.devices.filter { mapping.ids.contains($0.deviceID) }
            guard !devices.isEmpty else { return column.infraError == nil ? "not offered" : "not measured (INFRA)" }
            return devices.map { device in
                let name = VirtioCatalogue.deviceName(device.deviceID) ?? "device \(device.deviceID)"
                if let bits = device.offered?.bits { return "\(name) \(device.name): offered \(bits.bits.count) bits [\(bits)]" }
                return "\(name) \(device.name): negotiated [\(device.negotiatedFeatures)] (offered not measured)"
            }.joined(separator: "; ")
        }
        columns = matrix.columns.map { FigureCharts.Column(label: $0.label, figures: $0.figures) }
    }

    /// True when a probe (`block.integrity`) belongs to this category.
    func includes(source: String) -> Bool {
        guard let head = source.split(separator: ".").first else { return false }
        return probePrefixes.contains(String(head))
    }
}
