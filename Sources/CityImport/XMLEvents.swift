import Foundation
import SimCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Streams the start tags of an XML document (libxml2's SAX parser behind Foundation's XMLParser) to a handler
/// with the element name, its attributes and the line; errors carry the file and line. The handler may throw
/// to stop with a located error.
struct XMLEvents {
    typealias Handler = (_ name: String, _ attributes: [String: String], _ line: Int) throws -> Void
    /// End of an element whose text was asked for (`textOf`), with that text.
    typealias TextHandler = (_ name: String, _ text: String, _ line: Int) throws -> Void

    private final class Delegate: NSObject, XMLParserDelegate {
        let handler: Handler
        let textOf: Set<String>
        let textHandler: TextHandler?
        var collecting: String? = nil
        var text = ""
        var error: Error?
        var depth = 0, elements = 0
        init(_ h: @escaping Handler, textOf: Set<String>, textHandler: TextHandler?) {
            handler = h
            self.textOf = textOf
            self.textHandler = textHandler
        }
        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            guard error == nil else { return }
            depth += 1
            elements += 1
            if textOf.contains(elementName) {
                collecting = elementName
                text = ""
            }
            do { try handler(elementName, attributeDict, parser.lineNumber) } catch {
                self.error = error
                parser.abortParsing()
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if collecting != nil { text += string } }
        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            depth -= 1
            guard error == nil, let c = collecting, c == elementName, let th = textHandler else { return }
            collecting = nil
            do { try th(elementName, text, parser.lineNumber) } catch {
                self.error = error
                parser.abortParsing()
            }
        }
    }

    /// Parses `data` (already inflated) from `file`.
    static func parse(
        _ data: Data, file: String, textOf: Set<String> = [], text: TextHandler? = nil, _ handler: @escaping Handler
    ) throws {
        // The stream form parses in chunks: libxml2 refuses documents over 10 MB handed over in one piece.
        let parser = XMLParser(stream: InputStream(data: data))
        let d = Delegate(handler, textOf: textOf, textHandler: text)
        parser.delegate = d
        let ok = parser.parse()
        if let e = d.error { throw e }
        if !ok {
            let what = parser.parserError.map { "\($0.localizedDescription)" } ?? "malformed XML"
            throw InputError(
                SourceLocation(file: file, line: parser.lineNumber, column: parser.columnNumber), code: "E-XML-001",
                message: "not well-formed XML (\(what))", hint: "the file may be truncated or not XML")
        }
        // libxml2's push parser does not always report a document cut off inside an element
        if d.depth != 0 || d.elements == 0 {
            throw InputError(
                SourceLocation(file: file, line: parser.lineNumber), code: "E-XML-002",
                message: d.elements == 0
                    ? "no XML elements"
                    : "not well-formed XML: the document ends inside \(d.depth) open element\(d.depth == 1 ? "" : "s")",
                hint: "the file is truncated or not XML; fetch or export it again")
        }
    }
}
