import AVPSModel
import Foundation

/// Loads requirement profiles (`Profiles/*.yaml`, schema in `Profiles/README.md`).
///
/// Strict on purpose: unknown fields, missing fields, wrong types, unknown devices or features
/// and duplicate requirement keys are all errors, because a typo in a profile would otherwise
/// turn into a check that silently measures the wrong thing on every target.
public enum ProfileLoader {
    static let profileKeys = ["schema", "id", "title", "spec_version", "requirements"]

    public static func load(contentsOf url: URL) throws(LoadError) -> Profile {
        try profile(from: YAMLDocument.root(contentsOf: url))
    }

    /// `file` only labels errors.
    public static func load(yaml: String, file: String) throws(LoadError) -> Profile {
        try profile(from: YAMLDocument.root(yaml: yaml, file: file))
    }

    static func profile(from root: YAMLNodeReader) throws(LoadError) -> Profile {
        let mapping = try root.mapping(allowedKeys: profileKeys)
        let schemaReader = try mapping.required("schema")
        let schema = try schemaReader.int()
        guard schema == Profile.currentSchemaVersion else {
            throw schemaReader.error("unsupported schema \(schema); this avps reads schema \(Profile.currentSchemaVersion)")
        }
        let id = try mapping.requiredString("id")
        let title = try mapping.requiredString("title")
        let specVersion = try mapping.requiredString("spec_version")
        let items = try mapping.required("requirements").sequence()

        var requirements: [Requirement] = []
        var firstLineOfKey: [String: Int] = [:]
        for item in items {
            let (requirement, keyReader) = try RequirementReader.read(item)
            if let firstLine = firstLineOfKey[requirement.key] {
                throw keyReader.error("duplicate requirement key \"\(requirement.key)\" "
                                      + "(line \(keyReader.line); first defined at line \(firstLine))")
            }
            firstLineOfKey[requirement.key] = keyReader.line
            requirements.append(requirement)
        }
        return Profile(id: id, title: title, specVersion: specVersion, requirements: requirements)
    }
}
