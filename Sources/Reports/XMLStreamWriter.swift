import CLibxml2

/// A streaming XML writer on libxml2's `xmlTextWriter`, writing into memory.
///
/// Why not FoundationXML: building an `XMLElement` tree for 10,000 test cases cost 0.75 s of a
/// report render; streaming the same document costs a few milliseconds. libxml2 still does all
/// escaping (`<&>"` in text and attributes, tab/LF/CR in attributes as character references), so
/// this file only makes text *legal* XML first (`TextSanitizing.xmlLegal`) — no escaping can carry
/// NUL or ESC in XML 1.0.
///
/// Not thread-safe and not `Sendable`: one document, one owner, used synchronously. The first
/// failing libxml2 call is remembered and reported by `finish()`, so callers write straight-line
/// code and still never return a truncated document.
final class XMLStreamWriter {
    private let buffer: xmlBufferPtr
    private let writer: xmlTextWriterPtr
    private var failure: String?

    /// Starts a UTF-8 document, indented by two spaces per level.
    init() throws(ReportError) {
        guard let buffer = xmlBufferCreate() else { throw .encodingFailed("libxml2: cannot allocate a buffer") }
        guard let writer = xmlNewTextWriterMemory(buffer, 0) else {
            xmlBufferFree(buffer)
            throw .encodingFailed("libxml2: cannot create a text writer")
        }
        self.buffer = buffer
        self.writer = writer
        check(xmlTextWriterSetIndent(writer, 1), "set indent")
        check(xmlTextWriterSetIndentString(writer, "  "), "set indent string")
        check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "start document")
    }

    deinit {
        xmlFreeTextWriter(writer)
        xmlBufferFree(buffer)
    }

    /// Opens `<name a="v" ...>`; attribute values are made XML-legal, then escaped by libxml2.
    func start(_ name: String, _ attributes: [(String, String)] = []) {
        check(xmlTextWriterStartElement(writer, name), "start <\(name)>")
        for (attribute, value) in attributes {
            check(xmlTextWriterWriteAttribute(writer, attribute, TextSanitizing.xmlLegal(value)),
                  "attribute \(attribute) of <\(name)>")
        }
    }

    /// `<!-- content -->`. XML forbids `--` inside a comment and a `-` before its end, so runs of
    /// hyphens are split with spaces; the text is made XML-legal first like every other string.
    func comment(_ content: String) {
        var text = TextSanitizing.xmlLegal(content)
        while text.contains("--") { text = text.replacingOccurrences(of: "--", with: "- -") }
        check(xmlTextWriterWriteComment(writer, " \(text) "), "comment")
    }

    /// Text content of the open element.
    func text(_ content: String) {
        check(xmlTextWriterWriteString(writer, TextSanitizing.xmlLegal(content)), "text")
    }

    /// Closes the innermost open element (`<x/>` when it has no content).
    func end() {
        check(xmlTextWriterEndElement(writer), "end element")
    }

    /// An element with attributes and optional text, opened and closed.
    func element(_ name: String, _ attributes: [(String, String)] = [], text content: String? = nil) {
        start(name, attributes)
        if let content { text(content) }
        end()
    }

    /// Closes all open elements and returns the document.
    func finish() throws(ReportError) -> String {
        check(xmlTextWriterEndDocument(writer), "end document")
        check(xmlTextWriterFlush(writer), "flush")
        if let failure { throw .encodingFailed("junit.xml: libxml2 failed to \(failure)") }
        guard let content = xmlBufferContent(buffer) else { return "" }
        return String(cString: content)
    }

    private func check(_ status: Int32, _ action: @autoclosure () -> String) {
        if status < 0, failure == nil { failure = action() }
    }
}
