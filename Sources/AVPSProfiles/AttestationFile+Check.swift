import AVPSModel

extension AttestationFile {
    /// What checking a file against a run found: errors refuse the file, warnings are printed and
    /// the run goes on.
    public struct Findings: Sendable, Equatable {
        public var errors: [LoadError] = []
        public var warnings: [LoadError] = []
    }

    /// Checks every entry against the run: its key must be a requirement of one of `profiles`,
    /// its targets targets of the suite (`targets`, nil to skip), its date not in the future.
    /// An expired entry is a warning, not an error: like an expired waiver it stops counting and
    /// the result says so. An entry for a requirement that has a machine check is a warning too:
    /// the measurement wins wherever it decides (a measured FAIL is never overridden).
    public func check(profiles: [Profile], targets: [String]?, today: CalendarDay) -> Findings {
        var findings = Findings()
        let keys = profiles.flatMap { $0.requirements.map(\.key) }
        let names = profiles.map(\.id).joined(separator: ", ")
        for entry in entries {
            let requirement = profiles.lazy.compactMap { $0.requirements.first { $0.key == entry.key } }.first
            if let requirement {
                if let check = requirement.check {
                    findings.warnings.append(Self.error(at: entry.keyLocation, file: file,
                        "\(entry.key) has a machine check (\(check.kind)): the attestation counts only where it cannot "
                        + "measure (UNTESTED or SKIPPED); a measured verdict wins, and a measured FAIL is never overridden"))
                }
            } else {
                findings.errors.append(Self.error(at: entry.keyLocation, file: file, "no requirement \"\(entry.key)\" in \(names)"
                                                  + YAMLNodeReader.suggestion(for: entry.key, among: keys)))
            }
            if let targets {
                for (name, location) in zip(entry.targets, entry.targetLocations) where !targets.contains(name) {
                    findings.errors.append(Self.error(at: location, file: file, "no target \"\(name)\" in this run (targets: "
                        + targets.joined(separator: ", ") + ")" + YAMLNodeReader.suggestion(for: name, among: targets)))
                }
            }
            if entry.date > today {
                findings.errors.append(Self.error(at: entry.dateLocation, file: file,
                                                  "dated \(entry.date), after today (\(today)): an attestation states what is already true"))
            }
            if today > entry.expires {
                findings.warnings.append(Self.error(at: entry.expiresLocation, file: file,
                    "expired on \(entry.expires): it no longer decides \(entry.key); renew the evidence and re-sign the file"))
            }
        }
        return findings
    }
}
