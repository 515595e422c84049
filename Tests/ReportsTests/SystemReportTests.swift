import AVPSModel
import Foundation
import Testing
@testable import Reports

/// A system of two VMs in every report format: each VM's result names its system, the system's
/// own result names both VMs and shows what was measured between them.
@Suite struct SystemReportTests {
    static func vm(_ name: String, _ verdict: Verdict, infra: String? = nil) -> TargetResult {
        var result = Fixtures.target("pair/\(name)", [Fixtures.result("AVPS2-RNG-01", "entropy", .must, verdict)])
        result.system = "pair"
        result.infraError = infra
        return result
    }

    static var run: RunResult {
        var system = Fixtures.target("pair", [
            Fixtures.result("AVPS2-STOR-09", "storage", .must, .pass, evidence: ["system: storage_isolation.secret_found = false"]),
            Fixtures.result("AVPS2-NET-06", "network", .should, .fail),
        ])
        system.commandLine = []
        system.system = "pair"
        system.vms = ["pair/a", "pair/b"]
        system.systemObservations = ["storage_isolation.secret_found": .bool(false), "network.rtt_avg_ms": .double(0.8)]
        return RunResult(toolVersion: "test", startedAt: Fixtures.started, finishedAt: Fixtures.finished,
                         host: HostInfo(hostname: "h", kernel: "k", machine: "x86_64", hypervisorVersion: nil),
                         targets: [vm("a", .pass), vm("b", .infra, infra: "stage 'agent ready' failed"), system], seed: 1)
    }

    @Test func resultsJSONRoundTripsAndValidates() throws {
        let data = try ResultsJSON.encode(Self.run)
        #expect(try ResultsJSON.decode(data) == Self.run)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"system\" : \"pair\"") && text.contains("\"system_observations\""))
        let single = String(decoding: try ResultsJSON.encode(Fixtures.run), as: UTF8.self)
        #expect(!single.contains("\"system") && !single.contains("\"vms\""), "single guests keep their shape")
        let file = try ExternalTools.write(data, name: "system-results.json")
        let output = try ExternalTools.validateJSON(file, schema: ExternalTools.resultsSchema)
        guard ExternalTools.requireTool(output, "python3", hint: "install python3 and python3-jsonschema") else { return }
        #expect(output.status == 0, "schema validation failed:\n\(output.stdout)\(output.stderr)")
    }

    @Test func textSummaryNamesTheSystemAndEachVM() {
        let text = TextSummary.render(Self.run)
        #expect(text.contains("pair/a (VM of system pair): "), "\(text)")
        #expect(text.contains("pair (system of pair/a, pair/b): "), "\(text)")
        #expect(text.contains("DEVIATION") && text.contains("AVPS2-NET-06"), "\(text)")
    }

    @Test func junitCarriesSystemPropertiesAndValidates() throws {
        let xml = try JUnitReport.render(Self.run)
        #expect(xml.contains("name=\"avps.system\" value=\"pair\""))
        #expect(xml.contains("name=\"avps.system.vms\" value=\"pair/a pair/b\""))
        let file = try ExternalTools.write(Data(xml.utf8), name: "system-junit.xml")
        let output = try ExternalTools.run("xmllint", ["--noout", "--schema", ExternalTools.junitXSD.path, file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
    }

    @Test func htmlShowsTheSystemAndItsMeasurementsWithoutAGuestSection() throws {
        let html = HTMLReport.render(Self.run)
        #expect(html.contains("VM of system <strong>pair</strong>"))
        #expect(html.contains("System of 2 VMs: <code>pair/a</code>, <code>pair/b</code>"))
        #expect(html.contains("<code>network.rtt_avg_ms</code>"))
        let systemSection = try #require(html.components(separatedBy: "System of 2 VMs").last)
        #expect(!systemSection.contains("the guest agent never answered"), "a system's own result has no guest of its own")
    }

    @Test func matrixHasAColumnPerVMAndOneForTheSystem() {
        let matrix = Matrix([LoadedRun(directory: URL(fileURLWithPath: "/r"), run: Self.run, label: "r")],
                            outputDirectory: URL(fileURLWithPath: "/m"), hasReport: { _ in false })
        #expect(matrix.columns.map(\.target) == ["pair/a", "pair/b", "pair"])
        #expect(matrix.columns.last?.guest == "system of pair/a, pair/b")
        #expect(matrix.rows.contains { $0.key == "AVPS2-STOR-09" && $0.cells.compactMap { $0 }.count == 1 })
    }
}
