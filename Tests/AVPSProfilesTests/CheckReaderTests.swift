import AVPSModel
import AVPSProfiles
import Testing

/// The check kinds added for offered features, legacy, config, probes and host observations
/// read into the values scoring expects.
@Suite struct CheckReaderTests {
    /// One inline requirement with `field: yaml` (its `check` or `applies_if`).
    func requirement(_ field: String, _ yaml: String) throws -> Requirement? {
        let text = """
            schema: 1
            id: inline
            title: Inline
            spec_version: "2.0"
            requirements:
              - { key: X-01, title: t, chapter: c, category: g, level: MUST, confidence: derived, rationale: r,
                  \(field): \(yaml) }
            """
        return try ProfileLoader.load(yaml: text, file: "inline.yaml").requirements.first
    }

    func check(_ yaml: String) throws -> Check? { try requirement("check", yaml)?.check }
    func condition(_ yaml: String) throws -> Condition? { try requirement("applies_if", yaml)?.appliesIf }

    /// The lint message for a bad `applies_if`, or "no error".
    func conditionError(_ yaml: String) -> String {
        switch Result(catching: { try condition(yaml) }) {
        case .success: "no error"
        case .failure(let error): "\(error)"
        }
    }

    @Test func conditionsReadAloneAndTogetherInFileOrder() throws {
        #expect(try condition("{ not_withheld: watchdog }") == .notWithheld(kind: "watchdog"))
        let probe = Condition.probe(name: "platform.buses", fact: "can_count", Comparison(.ge, .int(1)))
        #expect(try condition("{ probe: { name: platform.buses, fact: can_count, op: ge, value: 1 } }") == probe)
        #expect(try condition("{ not_withheld: watchdog, probe: { name: platform.buses, fact: can_count, op: ge, value: 1 } }")
                == .all([.notWithheld(kind: "watchdog"), probe]))
        #expect(try condition("{ device_present: pmem }") == .devicePresent(.deviceID(27)))
    }

    @Test func systemChecksReadDottedObservations() throws {
        #expect(try check("{ system: { observation: storage_isolation.secret_found, op: eq, value: false } }")
                == .system(observation: "storage_isolation.secret_found", Comparison(.eq, .bool(false))))
        #expect(throws: LoadError.self) { try check("{ system: { observation: Storage.Secret, op: eq, value: false } }") }
        #expect(throws: LoadError.self) { try check("{ system: { observation: a.b, op: ge, value: yes } }") }
    }

    @Test func badConditionsAreLintErrors() {
        #expect(conditionError("{ not_withheld: watchdgo }").contains("did you mean \"watchdog\""))
        #expect(conditionError("{}").contains("expected at least one of device_present, not_withheld, probe"))
        #expect(conditionError("{ probe: { name: platform.buses, fact: can.count, op: ge, value: 1 } }").contains("not a valid fact name"))
        #expect(conditionError("{ probe: { name: platform.buses, fact: can_count, op: ge, value: many } }").contains("compares numbers"))
        #expect(conditionError("{ device_absent: can }").contains("device_absent"))
    }

    @Test func offeredSubsetAndLegacy() throws {
        #expect(try check("{ feature_offered: { device: block, feature: VIRTIO_BLK_F_DISCARD } }") == .featureOffered(.deviceID(2), bit: 13))
        #expect(try check("{ negotiated_subset_of_offered: any }") == .negotiatedSubsetOfOffered(.any))
        #expect(try check("{ not_legacy: { device: net } }") == .notLegacy(.deviceID(1)))
    }

    @Test func transportRegisterChecks() throws {
        #expect(try check("{ pci_modern_capabilities: any }") == .pciModernCapabilities(.any))
        #expect(try check("{ legacy_interface: { device: block, present: false } }") == .legacyInterface(.deviceID(2), present: false))
        #expect(try check("{ mmio_version: { device: any, version: 2 } }") == .mmioVersion(.any, version: 2))
        #expect(try check("{ defined_feature_words: { device: net } }") == .definedFeatureWords(.deviceID(1)))
        do {
            _ = try check("{ mmio_version: { device: any, version: 3 } }")
            Issue.record("Version 3 accepted")
        } catch {
            #expect("\(error)".contains("check.mmio_version.version: virtio-mmio Version is 1 (legacy) or 2 (modern), not 3"), "\(error)")
        }
        #expect(throws: LoadError.self) { try check("{ legacy_interface: { device: any } }") }
    }

    @Test func configFieldsResolveSpecNamesAndAgentSpellings() throws {
        #expect(try check("{ config: { device: block, field: capacity, op: gt, value: 0 } }")
                == .config(.deviceID(2), field: "capacity", Comparison(.gt, .int(0))))
        #expect(try check("{ config: { device: block, field: cylinders, op: present } }")
                == .config(.deviceID(2), field: "geometry.cylinders", Comparison(.present)))
        #expect(try check("{ config: { device: blk, field: wce, op: eq, value: 1 } }")
                == .config(.deviceID(2), field: "writeback", Comparison(.eq, .int(1))))
        #expect(try check(#"{ config: { device: net, field: mac, op: ne, value: "00:00:00:00:00:00" } }"#)
                == .config(.deviceID(1), field: "mac", Comparison(.ne, .string("00:00:00:00:00:00"))))
    }

    @Test func probeAndHostKeepValueTypes() throws {
        #expect(try check("{ probe: { name: block.integrity, device: block, fact: verified, op: eq, value: true } }")
                == .probe(name: "block.integrity", device: .deviceID(2), fact: "verified", Comparison(.eq, .bool(true))))
        #expect(try check("{ probe: { name: entropy.rate, fact: bytes_per_second, op: ge, value: 1024.5 } }")
                == .probe(name: "entropy.rate", device: nil, fact: "bytes_per_second", Comparison(.ge, .double(1024.5))))
        #expect(try check("{ host: { observation: boot_to_agent_seconds, op: lt, value: 30 } }")
                == .host(observation: "boot_to_agent_seconds", Comparison(.lt, .int(30))))
        #expect(try check(#"{ host: { observation: hypervisor, op: eq, value: "42" } }"#)
                == .host(observation: "hypervisor", Comparison(.eq, .string("42"))))
    }

    @Test func normativeFlagAndSpecVersionDefault() throws {
        let text = """
            schema: 1
            id: inline
            title: Inline
            spec_version: "2.0"
            requirements:
              - { key: X-01, title: t, chapter: c, category: g, level: SHOULD, confidence: derived, rationale: r, normative: false }
              - { key: X-02, title: t, chapter: c, category: g, level: SHOULD, confidence: derived, rationale: r, spec_version: "1.0" }
            """
        let requirements = try ProfileLoader.load(yaml: text, file: "inline.yaml").requirements
        #expect(requirements.map(\.normative) == [false, true])
        #expect(requirements.map(\.specVersion) == ["2.0", "1.0"])
    }
}

@Suite struct ConfigFieldCatalogueTests {
    /// Every enabling feature named by a config field is a real feature of that device.
    @Test func enablingFeaturesExist() {
        for device in VirtioCatalogue.devices {
            for field in VirtioCatalogue.configFields(forDevice: device.id) {
                for feature in field.validWith {
                    #expect(VirtioCatalogue.feature(named: feature, forDevice: device.id) != nil,
                            "\(device.shortName).\(field.name) names unknown feature \(feature)")
                }
            }
        }
    }

    @Test func namesAreUniqueAndOffsetsAscend() {
        for device in VirtioCatalogue.devices {
            let fields = VirtioCatalogue.configFields(forDevice: device.id)
            #expect(Set(fields.map(\.name)).count == fields.count, "\(device.shortName)")
            let offsets = fields.map(\.offset)
            #expect(offsets == offsets.sorted(), "\(device.shortName) offsets out of order")
        }
    }

    /// Spot checks against reference/virtio.md §3.
    @Test func layoutsMatchTheReference() {
        let mtu = VirtioCatalogue.configField(named: "mtu", forDevice: 1)
        #expect(mtu?.offset == 0x0a && mtu?.size == 2 && mtu?.validWith == ["MTU"])
        #expect(VirtioCatalogue.configField(named: "num_queues", forDevice: 2)?.offset == 0x22)
        #expect(VirtioCatalogue.configField(named: "guest_cid", forDevice: 19)?.size == 8)
        #expect(VirtioCatalogue.configField(named: "num_scanouts", forDevice: 16)?.offset == 0x08)
        #expect(VirtioCatalogue.configField(named: "input_range_start", forDevice: 23)?.name == "input_range.start")
        #expect(VirtioCatalogue.configFields(forDevice: 4).isEmpty, "entropy has no config space")
    }
}
