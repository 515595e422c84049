import AVPSModel

/// The full description of one requirement, for `avps profile show KEY`.
public enum RequirementText {
    public static func describe(_ requirement: Requirement, in profile: Profile) -> String {
        var lines: [(String, String)] = [
            ("key", requirement.key),
            ("title", requirement.title),
            ("profile", lineage(profile)),
            ("chapter", "\(requirement.chapter) (AVPS \(requirement.specVersion ?? profile.specVersion))"),
            ("category", requirement.category),
            ("level", requirement.level.rawValue + (requirement.normative ? "" : " (non-normative: never decides the exit code)")),
            ("applies if", requirement.appliesIf.map(CheckText.describe) ?? "always"),
            ("check", requirement.check.map(CheckText.describe) ?? "none (scored UNTESTED)"),
            ("virtio", requirement.virtioReference ?? "-"),
        ]
        if let label = requirement.virtioNormative { lines.append(("normative label", label)) }
        lines.append(("confidence", requirement.confidence.rawValue))
        lines.append(("rationale", requirement.rationale))
        if let change = requirement.levelChange {
            lines.append(("level change", "\(change.from.rawValue) -> \(requirement.level.rawValue) by \(change.changedBy): \(change.reason)"))
        }
        if let waiver = requirement.waiver {
            lines.append(("waiver", "by \(waiver.owner) (\(waiver.grantedBy)) until \(waiver.expires): \(waiver.reason)"))
        }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }.joined(separator: "\n")
    }

    /// `acme-hv-3.2 (extends avps-2.0)`, or just the id for a profile without a base.
    public static func lineage(_ profile: Profile) -> String {
        let bases = profile.lineage.dropLast().reversed()
        return bases.isEmpty ? profile.id : "\(profile.id) (extends \(bases.joined(separator: ", which extends ")))"
    }
}
