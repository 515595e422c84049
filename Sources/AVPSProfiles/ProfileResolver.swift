import AVPSModel
import Foundation

/// Resolves a profile and its `extends:` chain into one validated `Profile`.
///
/// An overlay inherits every requirement of its base, may add its own (new keys only), waive
/// inherited ones (`waivers:`) or change their level (`levels:`). Every key an overlay names must
/// exist in the resolved base; a chain that returns to a file already in it is a cycle.
enum ProfileResolver {
    /// `chain` holds the identities of the files that extend this one (outermost first).
    static func resolve(_ url: URL, chain: [String] = [], into diagnostics: inout Diagnostics) -> Profile? {
        guard let root = diagnostics.attempt({ () throws(LoadError) in try YAMLDocument.root(contentsOf: url) }) else {
            return nil
        }
        return resolve(root, directory: url.deletingLastPathComponent(),
                       chain: chain + [ProfileLocation.identity(url)], into: &diagnostics)
    }

    static func resolve(_ root: YAMLNodeReader, directory: URL, chain: [String],
                        into diagnostics: inout Diagnostics) -> Profile? {
        guard let document = ProfileDocument.read(root, into: &diagnostics) else { return nil }
        guard let extends = document.extends else {
            let own = document.requirements.map { withSpecVersion($0.0, document.specVersion ?? "") }
            return Profile(id: document.id, title: document.title, specVersion: document.specVersion ?? "",
                           requirements: own)
        }
        guard let base = base(of: extends, directory: directory, chain: chain, into: &diagnostics) else { return nil }
        return merge(document, onto: base, into: &diagnostics)
    }

    /// Finds and resolves the base; every failure is reported at the `extends:` line.
    static func base(of extends: YAMLNodeReader, directory: URL, chain: [String],
                     into diagnostics: inout Diagnostics) -> Profile? {
        guard let name = try? extends.nonEmptyString() else { return nil }
        guard let url = ProfileLocation.find(name, from: directory) else {
            let looked = ProfileLocation.candidates(for: name, from: directory).prefix(3).map(\.path)
            diagnostics.record(extends.error("cannot find base profile \"\(name)\" (looked for \(looked.joined(separator: ", ")), ...)"))
            return nil
        }
        let identity = ProfileLocation.identity(url)
        if chain.contains(identity) {
            let names = (chain + [identity]).map { URL(fileURLWithPath: $0).lastPathComponent }
            diagnostics.record(extends.error("extends cycle: \(names.joined(separator: " -> "))"))
            return nil
        }
        var inner = Diagnostics()
        let base = resolve(url, chain: chain, into: &inner)
        if let first = inner.errors.first {
            diagnostics.record(extends.error("base profile \"\(name)\" does not load: \(first)"))
            return nil
        }
        return base
    }

    static func merge(_ document: ProfileDocument, onto base: Profile, into diagnostics: inout Diagnostics) -> Profile {
        let specVersion = document.specVersion ?? base.specVersion
        var requirements = base.requirements
        var index = Dictionary(uniqueKeysWithValues: requirements.enumerated().map { ($1.key, $0) })
        for (requirement, keyReader) in document.requirements {
            guard index[requirement.key] == nil else {
                diagnostics.record(keyReader.error("requirement \"\(requirement.key)\" is already defined by base profile "
                                                   + "\(base.id); change it with levels: or waivers: instead"))
                continue
            }
            index[requirement.key] = requirements.count
            requirements.append(withSpecVersion(requirement, specVersion))
        }
        let keys = requirements.map(\.key)
        for entry in document.levels {
            guard let position = lookup(entry, index, keys, base, &diagnostics) else { continue }
            let old = requirements[position].level
            guard old != entry.level else {
                diagnostics.record(entry.keyReader.error("\(entry.key) is already \(old.rawValue); remove this entry"))
                continue
            }
            requirements[position].level = entry.level
            requirements[position].levelChange = LevelChange(from: old, reason: entry.reason, changedBy: document.id)
        }
        for entry in document.waivers {
            guard let position = lookup(entry, index, keys, base, &diagnostics) else { continue }
            requirements[position].waiver = Waiver(reason: entry.reason, owner: entry.owner, expires: entry.expires,
                                                   grantedBy: document.id)
        }
        for entry in document.justifications {
            guard let position = lookup(entry, index, keys, base, &diagnostics) else { continue }
            let level = requirements[position].level
            guard level == .should else {
                diagnostics.record(entry.keyReader.error("justify: is for SHOULD requirements; \(entry.key) is \(level.rawValue)"
                                                         + (level == .must ? " (use waivers: with an expiry)" : " (a MAY is never held against the platform)")))
                continue
            }
            requirements[position].justification = Justification(owner: entry.owner, reason: entry.reason, grantedBy: document.id)
        }
        return Profile(id: document.id, title: document.title, specVersion: specVersion,
                       requirements: requirements, lineage: base.lineage + [document.id])
    }

    /// The position of the requirement an overlay entry names, or an error with the nearest key.
    private static func lookup(_ entry: some KeyedOverlayEntry, _ index: [String: Int], _ keys: [String],
                               _ base: Profile, _ diagnostics: inout Diagnostics) -> Int? {
        if let position = index[entry.key] { return position }
        diagnostics.record(entry.keyReader.error("no requirement \"\(entry.key)\" in \(base.id) or this overlay"
                                                 + YAMLNodeReader.suggestion(for: entry.key, among: keys)))
        return nil
    }

    private static func withSpecVersion(_ requirement: Requirement, _ version: String) -> Requirement {
        var result = requirement
        if result.specVersion == nil { result.specVersion = version }
        return result
    }
}
