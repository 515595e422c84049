import AVPSModel
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reports

@Suite struct JUnitReportTests {
    let xml: String

    init() throws { xml = try JUnitReport.render(Fixtures.run) }

    @Test func validatesAgainstJenkinsXSD() throws {
        let file = try ExternalTools.write(Data(xml.utf8), name: "junit.xml")
        let output = try ExternalTools.run("xmllint", ["--noout", "--schema", ExternalTools.junitXSD.path, file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.status == 0, "xmllint rejected junit.xml:\n\(output.stderr)")
    }

    /// A target with no results at all, and an empty run, must still be valid documents.
    @Test func emptyRunValidates() throws {
        var run = Fixtures.run
        run.targets = []
        let file = try ExternalTools.write(Data(try JUnitReport.render(run).utf8), name: "junit.xml")
        let output = try ExternalTools.run("xmllint", ["--noout", "--schema", ExternalTools.junitXSD.path, file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.status == 0, "\(output.stderr)")
    }

    @Test func countsAreCorrect() throws {
        let document = try XMLDocument(data: Data(xml.utf8))
        let root = try #require(document.rootElement())
        // mixed: 9 results in 4 categories; broken: infra suite + 2 results in 2 categories.
        #expect(root.attribute(forName: "tests")?.stringValue == "12")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        // ERROR/INFRA of a MUST and the infra suite are errors; the SHOULD INFRA is skipped.
        #expect(root.attribute(forName: "errors")?.stringValue == "4")
        #expect(root.attribute(forName: "time")?.stringValue == "37.250")
        let suites = try document.nodes(forXPath: "/testsuites/testsuite").compactMap { $0 as? XMLElement }
        #expect(suites.count == 7)
        for suite in suites {
            let cases = try suite.nodes(forXPath: "testcase").count
            #expect(suite.attribute(forName: "tests")?.stringValue == String(cases))
            #expect(suite.attribute(forName: "failures")?.stringValue == String(try suite.nodes(forXPath: "testcase/failure").count))
            #expect(suite.attribute(forName: "errors")?.stringValue == String(try suite.nodes(forXPath: "testcase/error").count))
            #expect(suite.attribute(forName: "skipped")?.stringValue == String(try suite.nodes(forXPath: "testcase/skipped").count))
            #expect(suite.attribute(forName: "timestamp")?.stringValue == "2025-03-01T12:00:00")
        }
        let names = suites.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names == ["avps.qemu-x86_64_tcg.general", "avps.qemu-x86_64_tcg.storage", "avps.qemu-x86_64_tcg.entropy",
                          "avps.qemu-x86_64_tcg.vsock", "avps.broken-board.infrastructure",
                          "avps.broken-board.general", "avps.broken-board.storage"])
    }

    @Test func verdictsMapToJUnitElements() throws {
        let document = try XMLDocument(data: Data(xml.utf8))
        func outcome(_ key: String) throws -> (element: String, type: String?, message: String?) {
            let nodes = try document.nodes(forXPath:
                "//testsuite[starts-with(@name,'avps.qemu')]/testcase[starts-with(@name,'\(key) ')]")
            let testcase = try #require(nodes.first as? XMLElement)
            let child = testcase.children?.compactMap { $0 as? XMLElement }.first { $0.name != "system-out" }
            return (child?.name ?? "none", child?.attribute(forName: "type")?.stringValue,
                    child?.attribute(forName: "message")?.stringValue)
        }
        #expect(try outcome("AVPS2-GEN-01").element == "none")
        #expect(try outcome("AVPS2-GEN-02").element == "flakyFailure")
        #expect(try outcome("AVPS2-STOR-01").element == "failure")
        #expect(try outcome("AVPS2-STOR-01").type == "FAIL")
        #expect(try outcome("AVPS2-VSOCK-01").element == "error")
        #expect(try outcome("AVPS2-VSOCK-02").type == "INFRA")
        #expect(try outcome("AVPS2-STOR-02").message == "NOT_APPLICABLE: no block device offered")
        #expect(try outcome("AVPS2-RNG-01").type == "SKIPPED")
        #expect(try outcome("AVPS2-RNG-02").type == "UNTESTED")
        #expect(try outcome("AVPS2-VSOCK-03").message == "WAIVED: waived by J. Doe until 2025-12-31")
        let gen02Out = try document.nodes(forXPath: "//testcase[starts-with(@name,'AVPS2-GEN-02 ')]/system-out")
        #expect(gen02Out.first?.stringValue?.contains("FLAKY") == true)
    }

    @Test func hostileTextSurvivesIntactMinusForbiddenControls() throws {
        #expect(!xml.contains("<script"))
        #expect(!xml.contains("\u{0}") && !xml.contains("\u{1b}"))
        let document = try XMLDocument(data: Data(xml.utf8))
        let nodes = try document.nodes(forXPath: "//testcase[starts-with(@name,'AVPS2-STOR-01 ')]")
        let testcase = try #require(nodes.first as? XMLElement)
        #expect(testcase.attribute(forName: "name")?.stringValue == "AVPS2-STOR-01 Block \(Fixtures.hostileXMLLegal)")
        let failure = try #require(testcase.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "flush \(Fixtures.hostileXMLLegal)")
        #expect(failure.stringValue?.contains("line with \(Fixtures.hostileXMLLegal)") == true)
        let out = try #require(testcase.elements(forName: "system-out").first?.stringValue)
        #expect(out.contains("reason: flush \(Fixtures.hostileXMLLegal)"))
    }

    /// The same check through an independent parser (xmllint), in case libxml2 parsing in
    /// FoundationXML were lenient in the same way its serializer is wrong.
    @Test func xmllintReadsBackCounts() throws {
        let file = try ExternalTools.write(Data(xml.utf8), name: "junit.xml")
        let output = try ExternalTools.run("xmllint", ["--xpath", "count(//testcase)", file.path])
        guard ExternalTools.requireTool(output, "xmllint", hint: "install libxml2-utils") else { return }
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "12")
        let kernel = try ExternalTools.run("xmllint", ["--xpath",
            "string(//property[@name='avps.guest.kernel_release']/@value)", file.path])
        #expect(kernel.stdout.trimmingCharacters(in: .newlines) == "6.8.0 \(Fixtures.hostileXMLLegal)")
    }

    @Test func propertiesCarryTraceabilityAndArtifactsAreAttachments() throws {
        let document = try XMLDocument(data: Data(xml.utf8))
        let storage = try #require(try document.nodes(forXPath: "//testsuite[@name='avps.qemu-x86_64_tcg.storage']").first)
        func property(_ name: String) throws -> String? {
            try storage.nodes(forXPath: "properties/property[@name='\(name)']/@value").first?.stringValue
        }
        #expect(try property("AVPS2-STOR-01.level") == "MUST")
        #expect(try property("AVPS2-STOR-01.chapter") == "Chapter storage")
        #expect(try property("AVPS2-STOR-02.verdict") == "NOT_APPLICABLE")
        #expect(try property("avps.target") == "qemu-x86.64 tcg")
        #expect(try property("avps.profile.sha256") == String(repeating: "ab", count: 32))
        let out = try #require(try storage.nodes(forXPath: "system-out").first?.stringValue)
        #expect(out.contains("[[ATTACHMENT|targets/qemu/serial.log]]\n"))
        #expect(out.contains("[[ATTACHMENT|targets/qemu/cmd line.txt]]\n"))
        #expect(!out.contains("[[ATTACHMENT|https:") && !out.contains("[[ATTACHMENT|javascript:"))
        #expect(out.contains("artifact script (not a run-relative path, not attached): javascript:alert(1)"))
        #expect(out.contains("command line: qemu-system-x86_64 -machine q35 -append 'console=ttyS0 quiet' -name 'it'\\''s'"))
    }

    @Test func infraTargetIsAnErrorNotAFailure() throws {
        let document = try XMLDocument(data: Data(xml.utf8))
        let errors = try document.nodes(forXPath: "//testsuite[@name='avps.broken-board.infrastructure']/testcase/error")
        let error = try #require(errors.first as? XMLElement)
        #expect(error.attribute(forName: "type")?.stringValue == "INFRA")
        #expect(error.attribute(forName: "message")?.stringValue
            == "hypervisor started: boot timed out after 30 s <no console output>")
        #expect(try document.nodes(forXPath: "//testsuite[starts-with(@name,'avps.broken-board')]//failure").isEmpty)
    }

    @Test func classNameKeepsTheHierarchyFlat() {
        #expect(JUnitReport.className(target: "qemu-9.2 kvm", category: "storage") == "avps.qemu-9_2_kvm.storage")
    }
}
