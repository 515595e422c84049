import Foundation

/// A machine-readable requirement profile (for example `Profiles/avps-2.0.yaml`), after any
/// `extends:` chain has been resolved: requirements carry their final level and waiver.
public struct Profile: Sendable, Equatable {
    /// The profile file schema this code reads (`schema:` in the YAML). Bumped on any change that
    /// an older loader would misread.
    public static let currentSchemaVersion = 1

    public var id: String
    public var title: String
    /// Version of the source specification the requirements are derived from (e.g. "2.0").
    public var specVersion: String
    public var requirements: [Requirement]
    /// Ids of the profiles this one was built from, base first, ending with `id` itself
    /// (`["avps-2.0", "acme-hv"]` for an overlay); reports use it to say what was scored.
    public var lineage: [String]
    /// The profile's own version (`version:`; see Profiles/CHANGELOG.md): part of a certificate.
    public var version: String?

    public init(id: String, title: String, specVersion: String, requirements: [Requirement],
                lineage: [String]? = nil, version: String? = nil) {
        self.id = id
        self.title = title
        self.specVersion = specVersion
        self.requirements = requirements
        self.lineage = lineage ?? [id]
        self.version = version
    }
}

/// Where a requirement's level comes from: the document (URL) and its version or date.
public struct RequirementSource: Sendable, Equatable {
    public var url: String
    public var version: String

    public init(url: String, version: String) {
        self.url = url
        self.version = version
    }
}

/// How sure we are that a requirement says what the specification says.
public enum Confidence: String, Codable, Sendable, CaseIterable {
    /// Checked against the specification text.
    case textVerified = "text-verified"
    /// The level rests on a statement of a pre-release AVPS draft (`source` says which); the
    /// published text may differ.
    case draftSourced = "draft-sourced"
    /// Derived from chapter structure, project pages and VIRTIO; not yet checked against the text.
    case derived
}

/// One requirement of a profile. Text fields are our own paraphrase, never spec sentences.
public struct Requirement: Sendable, Equatable {
    /// Stable key, e.g. `AVPS2-STOR-01`.
    public var key: String
    public var title: String
    /// Chapter name of the source specification (names are stable across versions; numbers are not).
    public var chapter: String
    /// Device category used to group results (e.g. `general`, `storage`, `entropy`).
    public var category: String
    public var level: RequirementLevel
    /// When set and not met, the requirement is NOT_APPLICABLE rather than FAIL.
    public var appliesIf: Condition?
    /// nil: no machine check yet (scored UNTESTED).
    public var check: Check?
    /// The VIRTIO section the requirement rests on, e.g. "VIRTIO 1.2 §5.4".
    public var virtioReference: String?
    /// The VIRTIO normative statement label, where one exists, e.g.
    /// `devicenormative:Device Types / Block Device / Device Operation`.
    public var virtioNormative: String?
    public var confidence: Confidence
    /// Required for `draft-sourced`: the draft statement the level rests on.
    public var source: RequirementSource?
    public var rationale: String
    /// Version of the source specification this requirement cites (defaults to the profile's).
    public var specVersion: String?
    /// False for key figures that are not requirements of any specification (boot time, throughput):
    /// they are scored and reported, but never decide the exit code of `avps run`.
    public var normative: Bool
    /// Set by an overlay: a known deviation, scored WAIVED while it has not expired.
    public var waiver: Waiver?
    /// Set by an overlay that raised or lowered the level: what it was and why it changed.
    public var levelChange: LevelChange?
    /// Set by an overlay on a SHOULD requirement: why the platform deviates, and who answers for it.
    public var justification: Justification?

    public init(key: String, title: String, chapter: String, category: String, level: RequirementLevel,
                appliesIf: Condition? = nil, check: Check?, virtioReference: String? = nil,
                virtioNormative: String? = nil, confidence: Confidence, rationale: String,
                specVersion: String? = nil, normative: Bool = true, waiver: Waiver? = nil,
                levelChange: LevelChange? = nil) {
        self.key = key
        self.title = title
        self.chapter = chapter
        self.category = category
        self.level = level
        self.appliesIf = appliesIf
        self.check = check
        self.virtioReference = virtioReference
        self.virtioNormative = virtioNormative
        self.confidence = confidence
        self.rationale = rationale
        self.specVersion = specVersion
        self.normative = normative
        self.waiver = waiver
        self.levelChange = levelChange
    }
}

/// A known deviation an overlay accepts for one requirement, with who answers for it and until when.
public struct Waiver: Sendable, Equatable {
    public var reason: String
    public var owner: String
    /// Last day (inclusive, UTC) on which the waiver applies.
    public var expires: CalendarDay
    /// Id of the overlay profile that granted it.
    public var grantedBy: String

    public init(reason: String, owner: String, expires: CalendarDay, grantedBy: String) {
        self.reason = reason
        self.owner = owner
        self.expires = expires
        self.grantedBy = grantedBy
    }

    /// A waiver applies up to and including its expiry day.
    public func isActive(on day: CalendarDay) -> Bool { day <= expires }
}

/// A vendor's reason for not meeting a SHOULD requirement (RFC 2119: a SHOULD may be ignored for
/// a valid reason, which must be understood and weighed). It never changes the verdict; reports
/// show the deviation as justified.
public struct Justification: Codable, Sendable, Equatable {
    public var owner: String
    public var reason: String
    /// Id of the overlay profile that recorded it.
    public var grantedBy: String

    public init(owner: String, reason: String, grantedBy: String) {
        self.owner = owner
        self.reason = reason
        self.grantedBy = grantedBy
    }

    enum CodingKeys: String, CodingKey {
        case owner, reason
        case grantedBy = "granted_by"
    }
}

/// An overlay's change of a requirement's level.
public struct LevelChange: Sendable, Equatable {
    public var from: RequirementLevel
    public var reason: String
    public var changedBy: String

    public init(from: RequirementLevel, reason: String, changedBy: String) {
        self.from = from
        self.reason = reason
        self.changedBy = changedBy
    }
}

/// A date without a time (`2026-12-31`), so that waiver expiry does not depend on time zones.
public struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// Parses `YYYY-MM-DD`; nil for anything else or an impossible date (`2026-02-30`).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1, day <= Self.days(in: month, of: year) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// From calendar components the caller knows to be valid (for example from `Calendar`).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    private static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

extension CalendarDay {
    /// Today in UTC, the day waivers and attestations are judged against unless a caller fixes one.
    public static func today(_ now: Date = Date()) -> CalendarDay {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return CalendarDay(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }
}
