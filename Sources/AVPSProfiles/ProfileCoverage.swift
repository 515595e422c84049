import AVPSModel

/// How much of a profile can be scored by machine: per chapter, how many requirements there are,
/// how many have a check, and which are UNTESTED (no check yet).
public struct ProfileCoverage: Sendable, Equatable {
    public struct Chapter: Sendable, Equatable {
        public var name: String
        public var requirements: Int
        public var checked: Int
        public var untested: [String]
    }

    /// Chapters in the order they first appear in the profile.
    public var chapters: [Chapter]

    public init(_ profile: Profile) {
        var order: [String] = [], byName: [String: Chapter] = [:]
        for requirement in profile.requirements {
            if byName[requirement.chapter] == nil {
                order.append(requirement.chapter)
                byName[requirement.chapter] = Chapter(name: requirement.chapter, requirements: 0, checked: 0, untested: [])
            }
            byName[requirement.chapter]?.requirements += 1
            if requirement.check == nil {
                byName[requirement.chapter]?.untested.append(requirement.key)
            } else {
                byName[requirement.chapter]?.checked += 1
            }
        }
        chapters = order.compactMap { byName[$0] }
    }

    public var total: Int { chapters.reduce(0) { $0 + $1.requirements } }
    public var checked: Int { chapters.reduce(0) { $0 + $1.checked } }

    /// A plain-text table, one row per chapter, with a total line.
    public func table(title: String) -> String {
        let width = max(8, chapters.map(\.name.count).max() ?? 0)
        func row(_ chapter: String, _ count: String, _ checked: String, _ untested: String) -> String {
            let padded = chapter + String(repeating: " ", count: max(0, width - chapter.count))
            return "\(padded)  \(pad(count, 5))  \(pad(checked, 7))  \(untested)"
        }
        var lines = [title, "", row("chapter", "reqs", "checked", "untested (no check yet)")]
        lines.append(String(repeating: "-", count: width + 40))
        for chapter in chapters {
            lines.append(row(chapter.name, String(chapter.requirements), String(chapter.checked),
                             chapter.untested.isEmpty ? "-" : chapter.untested.joined(separator: ", ")))
        }
        lines.append(String(repeating: "-", count: width + 40))
        let percent = total == 0 ? 0 : checked * 100 / total
        lines.append(row("total (\(chapters.count) chapters)", String(total), String(checked), "\(total - checked) untested, \(percent)% machine-checked"))
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
