import Foundation

/// One element of an IAM answer: text, or child elements. Built as a tree and written once, so
/// every text goes through the same escaping.
struct XMLNode {
    let name: String
    let text: String?
    let children: [XMLNode]

    init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
        self.children = []
    }

    init(_ name: String, _ children: [XMLNode]) {
        self.name = name
        self.text = nil
        self.children = children
    }

    /// An optional member: IAM leaves out what is not set rather than sending it empty.
    static func optional(_ name: String, _ text: String?) -> [XMLNode] {
        text.map { [XMLNode(name, $0)] } ?? []
    }

    /// A Query-protocol list: each item is a `<member>`.
    static func list(_ name: String, _ items: [[XMLNode]]) -> XMLNode {
        XMLNode(name, items.map { XMLNode("member", $0) })
    }

    static func strings(_ name: String, _ items: [String]) -> XMLNode {
        XMLNode(name, items.map { XMLNode("member", $0) })
    }

    func write(into out: inout String) {
        out += "<\(name)"
        if let text {
            out += ">\(IAMXML.escape(text))</\(name)>"
        } else if children.isEmpty {
            out += "/>"
        } else {
            out += ">"
            for child in children { child.write(into: &out) }
            out += "</\(name)>"
        }
    }
}

enum IAMXML {
    static let namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

    /// `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>`;
    /// operations without output (DeleteRole, PutRolePolicy, …) have no Result element at all.
    static func response(action: String, result: [XMLNode]?, requestID: String) -> String {
        var body: [XMLNode] = []
        if let result { body.append(XMLNode("\(action)Result", result)) }
        body.append(XMLNode("ResponseMetadata", [XMLNode("RequestId", requestID)]))
        return document(XMLNode("\(action)Response", body))
    }

    static func error(_ error: IAMError, requestID: String) -> String {
        document(XMLNode("ErrorResponse", [
            XMLNode("Error", [XMLNode("Type", "Sender"), XMLNode("Code", error.code), XMLNode("Message", error.message)]),
            XMLNode("RequestId", requestID),
        ]))
    }

    private static func document(_ root: XMLNode) -> String {
        // The namespace goes on the root only; writing it through XMLNode would give it to every element.
        var inner = ""
        for child in root.children { child.write(into: &inner) }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root.name) xmlns=\"\(namespace)\">\(inner)</\(root.name)>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Carriage returns would be folded into newlines by any XML parser (XML 1.0 §2.11).
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Policy documents come back percent-encoded, as IAM sends them (the SDKs leave them so and
    /// callers such as Terraform's provider decode them). Everything but RFC 3986's unreserved
    /// characters is escaped, `+` and space included, so a form decoder gets back exactly what was sent.
    static func encodeDocument(_ document: String) -> String {
        var out = ""
        for byte in document.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// IAM's timestamps: ISO 8601 in UTC to the second, `2026-11-27T08:00:00Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
