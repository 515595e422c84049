import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// The shipped profiles: they lint clean, the published schema is what `avps profile schema`
/// prints and a real validator accepts every profile with it, and AVPS 2.0 covers every chapter.
@Suite struct ProfileFileTests {
    static let profiles = ExternalTool.packageRoot.appendingPathComponent("Profiles")
    static let url = profiles.appendingPathComponent("avps-2.0.yaml")
    static let schema = profiles.appendingPathComponent("schema/profile.schema.json")

    static var shipped: [URL] {
        let top = (try? FileManager.default.contentsOfDirectory(atPath: profiles.path)) ?? []
        let examples = (try? FileManager.default.contentsOfDirectory(atPath: profiles.appendingPathComponent("examples").path)) ?? []
        return top.filter { $0.hasSuffix(".yaml") }.sorted().map { profiles.appendingPathComponent($0) }
            + examples.filter { $0.hasSuffix(".yaml") }.sorted().map { profiles.appendingPathComponent("examples/\($0)") }
    }

    @Test func theExpectedProfilesShip() {
        let names = Set(Self.shipped.map(\.lastPathComponent))
        #expect(names.isSuperset(of: ["avps-2.0.yaml", "virtio-generic.yaml", "automotive-extras.yaml", "vendor-overlay.yaml"]))
    }

    @Test(arguments: shipped)
    func lintsClean(_ url: URL) {
        let (profile, errors) = ProfileLoader.diagnose(contentsOf: url)
        #expect(errors.isEmpty, "\(errors.map(\.description))")
        #expect(profile != nil)
    }

    @Test func publishedSchemaIsTheGeneratedOne() throws {
        let published = try String(contentsOf: Self.schema, encoding: .utf8)
        #expect(published == ProfileSchema.text, "run: .build/debug/avps profile schema > Profiles/schema/profile.schema.json")
    }

    @Test(arguments: shipped)
    func checkJsonschemaAcceptsIt(_ url: URL) throws {
        let run = try ExternalTool.run("check-jsonschema", ["--schemafile", Self.schema.path, url.path])
        guard ExternalTool.present(run, "check-jsonschema", hint: "pip install check-jsonschema (ci/setup does)") else { return }
        #expect(run.status == 0, "\(run.output)")
    }

    /// Negative control: the validator really validates (a wrong level is rejected).
    @Test func checkJsonschemaRejectsABadLevel() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("avps-bad-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: bad) }
        let text = try String(contentsOf: Self.profiles.appendingPathComponent("virtio-generic.yaml"), encoding: .utf8)
        try text.replacingOccurrences(of: "level: MUST", with: "level: MUSTT").write(to: bad, atomically: true, encoding: .utf8)
        let run = try ExternalTool.run("check-jsonschema", ["--schemafile", Self.schema.path, bad.path])
        guard ExternalTool.present(run, "check-jsonschema", hint: "pip install check-jsonschema (ci/setup does)") else { return }
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("MUSTT"))
    }

    static let avpsChapters = [
        "General system", "Conformance to specification", "Virtualization support in hardware", "Hardware emulation",
        "Booting guests", "Storage", "Communication Networks", "GPU Device", "IOMMU Device", "USB", "CAN", "LIN",
        "FlexRay", "CAN-XL", "MOST", "Watchdog", "Power and System Management", "GPIO", "Sensors", "Audio",
        "Media codec", "Random Number Generation", "Trusted Execution Environments",
        "Replay Protected Memory Block (RPMB)", "Crypto acceleration", "Text console", "Filesystem virtualization",
    ]

    /// The project page's device table rows that are not AVPS chapters.
    static let seedRows = ["Input", "Memory balloon", "Bluetooth", "Time Sensitive Networks", "Coprocessors"]

    @Test func avps20CoversEveryChapterAndSeedRow() throws {
        let coverage = ProfileCoverage(try ProfileLoader.load(contentsOf: Self.url))
        let chapters = coverage.chapters.map(\.name)
        for chapter in Self.avpsChapters {
            #expect(chapters.contains(chapter), "missing chapter \(chapter)")
        }
        for row in Self.seedRows {
            #expect(chapters.contains { $0.hasPrefix(row) }, "missing seed row \(row)")
        }
        #expect(coverage.total >= 60)
        #expect(coverage.checked < coverage.total, "chapters without firm requirements stay UNTESTED")
        let table = coverage.table(title: "t")
        #expect(table.contains("AVPS2-NET-07"))  // a dedicated physical NIC: no check, UNTESTED
        for key in ["AVPS2-NET-06", "AVPS2-STOR-09", "AVPS2-WDT-05", "AVPS2-FS-04"] {
            #expect(!table.contains(key), "\(key) is decided on a system target (1.2.0)")
        }
        #expect(table.contains("total (\(coverage.chapters.count) chapters)"))
    }

    @Test func avps20KeepsItsOriginalKeys() throws {
        let byKey = Dictionary(uniqueKeysWithValues: try ProfileLoader.load(contentsOf: Self.url).requirements.map { ($0.key, $0) })
        #expect(byKey["AVPS2-GEN-01"]?.check == .featureNegotiated(.any, bit: 32))
        #expect(byKey["AVPS2-GEN-02"]?.check == .driverReady(.any))
        #expect(byKey["AVPS2-STOR-03"]?.check == .featureNegotiated(.deviceID(2), bit: 9))
        #expect(byKey["AVPS2-STOR-03"]?.appliesIf == .devicePresent(.deviceID(2)))
        #expect(byKey["AVPS2-NET-01"]?.check == .featureNegotiated(.deviceID(1), bit: 5))
        #expect(byKey["AVPS2-RNG-01"]?.check == .devicePresent(.deviceID(4)))
        #expect(byKey["AVPS2-RNG-01"]?.level == .must)
        #expect(byKey["AVPS2-BAL-01"]?.level == .may)
        #expect(byKey["AVPS2-VSOCK-01"]?.check == .devicePresent(.deviceID(19)))
        #expect(byKey["AVPS2-WDT-01"]?.check == .probe(name: "watchdog.basic", device: nil, fact: "watchdog_count", Comparison(.ge, .int(1))))
        #expect(byKey["AVPS2-WDT-01"]?.appliesIf == .notWithheld(kind: "watchdog"))
        #expect(byKey["AVPS2-WDT-01"]?.level == .should)
        #expect(byKey["AVPS2-STOR-01"] != nil && byKey["AVPS2-STOR-02"] != nil && byKey["AVPS2-CON-01"] != nil)
    }

    /// An optional category must never FAIL for being absent: every requirement of a chapter
    /// about one device either has `applies_if` on that device or is a presence check the
    /// profile deliberately keeps unconditional.
    @Test func absentOptionalCategoriesAreNotApplicable() throws {
        let unconditional: Set<String> = ["AVPS2-STOR-01", "AVPS2-VSOCK-01", "AVPS2-RNG-01", "AVPS2-CON-01"]
        for requirement in try ProfileLoader.load(contentsOf: Self.url).requirements {
            guard let selector = requirement.check?.selector, selector != .any else { continue }
            if unconditional.contains(requirement.key) { continue }
            #expect(requirement.appliesIf == .devicePresent(selector), "\(requirement.key) would FAIL on a platform without \(selector)")
        }
    }

    /// The same for categories read from platform probes: a requirement judged on a bus or the
    /// watchdog applies only where the probe found one, except the one presence row the profile
    /// keeps unconditional (a guest should have a watchdog), which yields only to a withheld device,
    /// and the hardware-description row (every platform should give ACPI tables or a device tree).
    @Test func absentPlatformCategoriesAreNotApplicable() throws {
        for requirement in try ProfileLoader.load(contentsOf: Self.url).requirements {
            guard case .probe(let name, nil, let fact, _)? = requirement.check else { continue }
            let conditions = requirement.appliesIf?.parts ?? []
            if requirement.key == "AVPS2-WDT-01" {
                #expect(conditions == [.notWithheld(kind: "watchdog")] && fact == "watchdog_count")
                continue
            }
            if requirement.key == "AVPS2-BOOT-02" {  // every platform should describe its hardware
                #expect(conditions.isEmpty && fact == "hardware_described")
                continue
            }
            let guarded = conditions.contains { part in
                guard case .probe(name, let counted, _) = part else { return false }
                return counted.hasSuffix("_count")
            }
            #expect(guarded, "\(requirement.key) would FAIL on a guest without what \(name) looks for")
        }
    }

    /// Every level says where it came from: a draft statement with its source, or our reading.
    /// Nothing is text-verified: nobody has read the published AVPS 2.0 requirements yet.
    @Test(arguments: shipped)
    func everyItemSaysWhereItsLevelComesFrom(_ url: URL) throws {
        for requirement in try ProfileLoader.load(contentsOf: url).requirements {
            #expect(requirement.confidence != .textVerified, "\(requirement.key) claims verification nobody did")
            #expect((requirement.confidence == .draftSourced) == (requirement.source != nil), "\(requirement.key)")
            #expect(!requirement.rationale.isEmpty && !requirement.rationale.contains("\n"))
        }
    }

    /// The levels aligned with the drafts (Profiles/CHANGELOG.md 1.1.0) stay where the drafts put them;
    /// the inventory self-check (1.2.0) is a MUST, so an untrustworthy run is never CONFORMANT.
    @Test func levelsFollowTheDrafts() throws {
        let profile = try ProfileLoader.load(contentsOf: Self.profiles.appendingPathComponent("avps-2.0.yaml"))
        #expect(profile.version == "1.3.0")
        #expect(profile.requirements.first { $0.key == "AVPS2-SELF-01" }.map { $0.level == .must && $0.check == .inventoryCorroborated } == true)
        let levels = Dictionary(uniqueKeysWithValues: profile.requirements.map { ($0.key, $0.level) })
        for key in ["AVPS2-HWV-01", "AVPS2-STOR-01", "AVPS2-STOR-03", "AVPS2-STOR-06", "AVPS2-STOR-07", "AVPS2-STOR-10", "AVPS2-STOR-11",
                    "AVPS2-NET-07", "AVPS2-BOOT-03", "AVPS2-CON-05", "AVPS2-CON-06", "AVPS2-CON-07"] {
            #expect(levels[key] == .must, "\(key)")
        }
        #expect(levels["AVPS2-VSOCK-01"] == .may)
        #expect(levels["AVPS2-BOOT-02"] == .should && levels["AVPS2-NET-06"] == .should && levels["AVPS2-CON-08"] == .should)
        let sourced = profile.requirements.filter { $0.confidence == .draftSourced }
        #expect(sourced.count == 24)
        #expect(sourced.allSatisfy { $0.source?.url.hasPrefix("https://") == true && $0.source?.version.contains("draft") == true })
    }

    @Test func virtioGenericHasTheFourDeviceIndependentRules() throws {
        let profile = try ProfileLoader.load(contentsOf: Self.profiles.appendingPathComponent("virtio-generic.yaml"))
        let checks = profile.requirements.compactMap(\.check)
        #expect(checks.contains(.featureOffered(.any, bit: 32)))
        #expect(checks.contains(.notLegacy(.any)))
        #expect(checks.contains(.driverReady(.any)))
        #expect(checks.contains(.negotiatedSubsetOfOffered(.any)))
    }

    @Test func automotiveExtrasAreNonNormativeWithThresholds() throws {
        let profile = try ProfileLoader.load(contentsOf: Self.profiles.appendingPathComponent("automotive-extras.yaml"))
        #expect(profile.requirements.allSatisfy { !$0.normative })
        #expect(profile.requirements.allSatisfy { $0.check != nil })
        let boot = try #require(profile.requirements.first { $0.key == "AUTO-BOOT-01" })
        #expect(boot.check == .host(observation: "boot_to_agent_seconds", Comparison(.le, .int(30))))
        let checkKinds = Set(profile.requirements.compactMap(\.check?.kind))
        #expect(checkKinds == ["host", "probe", "system"])
    }

    @Test func headerCarriesAttribution() throws {
        let text = try String(contentsOf: Self.url, encoding: .utf8)
        #expect(text.contains("GENIVI Alliance"))
        #expect(text.contains("CC BY-SA 4.0") || text.contains("Attribution-ShareAlike 4.0"))
        #expect(text.contains("DERIVED"))
    }
}
