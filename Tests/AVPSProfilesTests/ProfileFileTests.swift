import AVPSModel
import AVPSProfiles
import Foundation
import Testing

/// The shipped profile loads, and says what its header promises.
@Suite struct ProfileFileTests {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Profiles/avps-2.0.yaml")

    @Test func avps20Loads() throws {
        let profile = try ProfileLoader.load(contentsOf: Self.url)
        #expect(profile.id == "avps-2.0")
        #expect(profile.specVersion == "2.0")
        #expect(profile.requirements.count >= 10)
        #expect(Set(profile.requirements.map(\.key)).count == profile.requirements.count)
    }

    @Test func everyItemIsDerivedAndExplained() throws {
        let profile = try ProfileLoader.load(contentsOf: Self.url)
        for requirement in profile.requirements {
            #expect(requirement.confidence == .derived, "\(requirement.key) claims verification nobody did")
            #expect(!requirement.rationale.isEmpty)
        }
    }

    @Test func checksResolveToCatalogueBits() throws {
        let byKey = Dictionary(uniqueKeysWithValues: try ProfileLoader.load(contentsOf: Self.url)
            .requirements.map { ($0.key, $0) })
        #expect(byKey["AVPS2-GEN-01"]?.check == .featureNegotiated(.any, bit: 32))
        #expect(byKey["AVPS2-GEN-02"]?.check == .driverReady(.any))
        #expect(byKey["AVPS2-STOR-03"]?.check == .featureNegotiated(.deviceID(2), bit: 9))
        #expect(byKey["AVPS2-STOR-03"]?.appliesIf == .devicePresent(.deviceID(2)))
        #expect(byKey["AVPS2-NET-01"]?.check == .featureNegotiated(.deviceID(1), bit: 5))
        #expect(byKey["AVPS2-RNG-01"]?.check == .devicePresent(.deviceID(4)))
        #expect(byKey["AVPS2-RNG-01"]?.level == .must)
        #expect(byKey["AVPS2-BAL-01"]?.level == .may)
        #expect(byKey["AVPS2-VSOCK-01"]?.check == .devicePresent(.deviceID(19)))
        let watchdog = try #require(byKey["AVPS2-WDT-01"])
        #expect(watchdog.check == nil)
    }

    @Test func headerCarriesAttribution() throws {
        let text = try String(contentsOf: Self.url, encoding: .utf8)
        #expect(text.contains("GENIVI Alliance"))
        #expect(text.contains("CC BY-SA 4.0") || text.contains("Attribution-ShareAlike 4.0"))
        #expect(text.contains("DERIVED"))
    }
}
