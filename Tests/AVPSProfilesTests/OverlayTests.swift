import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// Overlays (`extends:`): waivers, level changes, added requirements, chains and cycles, on
/// files written to a fresh directory per test.
@Suite final class OverlayTests: Sendable {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("avps-overlay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write("base", """
            schema: 1
            id: base
            title: Base
            spec_version: "2.0"
            requirements:
              - { key: B-01, title: t, chapter: Storage, category: storage, level: SHOULD, confidence: derived, rationale: r,
                  check: { feature_negotiated: { device: block, feature: FLUSH } } }
              - { key: B-02, title: t, chapter: Storage, category: storage, level: MUST, confidence: derived, rationale: r }
            """)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func load(_ name: String) throws -> Profile {
        try ProfileLoader.load(contentsOf: directory.appendingPathComponent("\(name).yaml"))
    }

    func overlay(_ body: String, extends base: String = "base") -> String {
        "schema: 1\nid: vendor\ntitle: Vendor\nextends: \(base)\n" + body
    }

    @Test func waiverIsAttachedWithOwnerAndExpiry() throws {
        try write("vendor", overlay("waivers:\n  - { key: B-01, reason: fix in 3.3, owner: qa@acme.example, expires: \"2030-01-31\" }\n"))
        let profile = try load("vendor")
        #expect(profile.lineage == ["base", "vendor"])
        #expect(profile.specVersion == "2.0")
        let waiver = try #require(profile.requirements.first?.waiver)
        #expect(waiver == Waiver(reason: "fix in 3.3", owner: "qa@acme.example", expires: try #require(CalendarDay("2030-01-31")),
                                 grantedBy: "vendor"))
        #expect(waiver.isActive(on: try #require(CalendarDay("2030-01-31"))))
        #expect(!waiver.isActive(on: try #require(CalendarDay("2030-02-01"))))
        #expect(profile.requirements[1].waiver == nil)
    }

    @Test func levelChangeKeepsWhereItCameFrom() throws {
        try write("vendor", overlay("levels:\n  - { key: B-01, level: MUST, reason: customers rely on flush }\n"))
        let requirement = try #require(try load("vendor").requirements.first)
        #expect(requirement.level == .must)
        #expect(requirement.levelChange == LevelChange(from: .should, reason: "customers rely on flush", changedBy: "vendor"))
    }

    @Test func overlayAddsItsOwnRequirementsAfterTheBase() throws {
        try write("vendor", overlay("""
            requirements:
              - { key: V-01, title: t, chapter: Storage, category: storage, level: MAY, confidence: derived, rationale: r }
            """))
        let profile = try load("vendor")
        #expect(profile.requirements.map(\.key) == ["B-01", "B-02", "V-01"])
        #expect(profile.requirements.last?.specVersion == "2.0")
    }

    @Test func overlayOfAnOverlayAppliesBothInOrder() throws {
        try write("vendor", overlay("levels:\n  - { key: B-02, level: SHOULD, reason: lowered by vendor }\n"))
        try write("customer", """
            schema: 1
            id: customer
            title: Customer
            extends: vendor.yaml
            levels:
              - { key: B-02, level: MAY, reason: lowered again by the customer }
            waivers:
              - { key: B-01, reason: accepted for this program, owner: pm@oem.example, expires: "2031-12-31" }
            """)
        let profile = try load("customer")
        #expect(profile.lineage == ["base", "vendor", "customer"])
        #expect(profile.requirements[1].level == .may)
        #expect(profile.requirements[1].levelChange?.from == .should)
        #expect(profile.requirements[0].waiver?.grantedBy == "customer")
    }

    @Test func cycleThroughTwoFilesIsRejected() throws {
        try write("a", overlay("", extends: "b").replacingOccurrences(of: "id: vendor", with: "id: a"))
        try write("b", overlay("", extends: "a").replacingOccurrences(of: "id: vendor", with: "id: b"))
        let error = try #require(throws: LoadError.self) { try load("a") }
        #expect(error.line == 4)
        #expect(error.field == "extends")
        #expect(error.message.contains("extends cycle: a.yaml -> b.yaml -> a.yaml"), "\(error)")
    }

    @Test func baseWithAnErrorNamesTheBaseFile() throws {
        try write("broken", "schema: 1\nid: broken\ntitle: t\nspec_version: \"2\"\nrequirements:\n  - { key: X }\n")
        try write("vendor", overlay("", extends: "broken"))
        let error = try #require(throws: LoadError.self) { try load("vendor") }
        #expect(error.line == 4)
        #expect(error.message.hasPrefix(#"base profile "broken" does not load: "#))
        #expect(error.message.contains("broken.yaml:6"))
    }

    @Test func overlayFindsShippedProfilesByName() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Profiles/avps-2.0.yaml")
        try write("vendor", overlay("waivers:\n  - { key: AVPS2-VSOCK-01, reason: r, owner: o, expires: \"2030-01-01\" }\n",
                                    extends: shipped.path))
        let profile = try load("vendor")
        #expect(profile.lineage == ["avps-2.0", "vendor"])
        #expect(profile.requirements.first { $0.key == "AVPS2-VSOCK-01" }?.waiver != nil)
    }

    @Test func justifyRecordsOwnerAndReasonOnAShould() throws {
        try write("vendor", overlay("justify:\n  - { key: B-01, owner: jane@acme.example, reason: no volatile cache behind it }\n"))
        let requirement = try #require(try load("vendor").requirements.first)
        #expect(requirement.justification == Justification(owner: "jane@acme.example", reason: "no volatile cache behind it",
                                                           grantedBy: "vendor"))
    }

    @Test func justifyOnAMustIsRefusedAtItsLine() throws {
        try write("vendor", overlay("justify:\n  - { key: B-02, owner: o, reason: r }\n"))
        let error = try #require(throws: LoadError.self) { try load("vendor") }
        #expect(error.line == 6)
        #expect(error.message.contains("justify: is for SHOULD requirements; B-02 is MUST (use waivers: with an expiry)"))
    }

    @Test func justifyNeedsAnOwner() throws {
        try write("vendor", overlay("justify:\n  - { key: B-01, reason: r }\n"))
        let error = try #require(throws: LoadError.self) { try load("vendor") }
        #expect(error.line == 6)
        #expect(error.field.hasSuffix("owner") && error.message == "missing required field")
    }
}
