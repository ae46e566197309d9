import Foundation
import FoundationXML
import LabIAM
import HTTP
import Testing

/// An IAM answer, parsed: tests read the XML as an SDK would, by element name, whatever the namespace.
struct IAMAnswer {
    let status: Int
    let contentType: String?
    let text: String
    let document: XMLDocument

    /// The text of every element with that local name, in document order.
    func values(_ name: String) -> [String] {
        ((try? document.nodes(forXPath: "//*[local-name()='\(name)']")) ?? []).compactMap(\.stringValue)
    }

    func value(_ name: String) -> String? { values(name).first }

    /// The text of `child` under each element named `parent` (`member` lists, nested shapes).
    func values(_ child: String, under parent: String) -> [String] {
        ((try? document.nodes(forXPath: "//*[local-name()='\(parent)']//*[local-name()='\(child)']")) ?? []).compactMap(\.stringValue)
    }

    func count(_ name: String) -> Int { ((try? document.nodes(forXPath: "//*[local-name()='\(name)']")) ?? []).count }

    var rootName: String? { document.rootElement()?.name }

    /// On Linux `attribute(forName:)` misses attributes under a default namespace; the namespace
    /// declaration is among `namespaces`, other attributes among `attributes`.
    var rootNamespace: String? {
        guard let root = document.rootElement() else { return nil }
        let declared = (root.namespaces ?? []) + (root.attributes ?? [])
        return declared.first { $0.name == "xmlns" || $0.name == "" }?.stringValue ?? root.uri
    }

    var errorCode: String? { value("Code") }
    var errorMessage: String? { value("Message") }
    /// Policy documents come back percent-encoded; decoded, they are what was sent.
    func decodedDocument(_ name: String) -> String? { value(name)?.removingPercentEncoding }
}

/// Calls the service the way Terraform's provider does: a POST to `/` with a form body
/// (Go's `url.Values.Encode`: keys sorted, spaces as `+`, everything else outside A–Z a–z 0–9 `-_.~` percent-encoded).
func call(_ iam: IAMService, _ action: String, _ parameters: [String: String] = [:]) throws -> IAMAnswer {
    var all = parameters
    all["Action"] = action
    all["Version"] = "2010-05-08"
    let body = all.keys.sorted().map { "\(formEncode($0))=\(formEncode(all[$0]!))" }.joined(separator: "&")
    return try send(iam, body)
}

func send(_ iam: IAMService, _ body: String) throws -> IAMAnswer {
    let request = HTTPRequest(method: "POST", target: "/", headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"], body: Array(body.utf8))
    let response = iam.handle(request)
    let document = try XMLDocument(data: Data(response.body))
    return IAMAnswer(status: response.status, contentType: response.headers["Content-Type"], text: response.bodyText, document: document)
}

func formEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        case UInt8(ascii: " "): out += "+"
        default: out += String(format: "%%%02X", byte)
        }
    }
    return out
}

/// The trust policy of a Lambda function's role, with the spaces and newlines `jsonencode` and
/// heredocs leave in (they must come back byte for byte).
let lambdaTrust = """
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    """
let logsPolicy = """
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/a+b*"}]
    }
    """
let basicExecution = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

/// A service with one role in it, as most tests start.
func serviceWithRole(_ name: String = "fn-role", _ extra: [String: String] = [:]) throws -> IAMService {
    let iam = IAMService()
    let created = try call(iam, "CreateRole", ["RoleName": name, "AssumeRolePolicyDocument": lambdaTrust].merging(extra) { $1 })
    try #require(created.status == 200, "\(created.text)")
    return iam
}

/// Checks an error answer: status, IAM's code, its exact message, and the error envelope.
func expectError(_ answer: IAMAnswer, _ status: Int, _ code: String, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.status == status, "\(answer.text)", sourceLocation: sourceLocation)
    #expect(answer.rootName == "ErrorResponse", sourceLocation: sourceLocation)
    #expect(answer.value("Type") == "Sender", sourceLocation: sourceLocation)
    #expect(answer.errorCode == code, sourceLocation: sourceLocation)
    if let message { #expect(answer.errorMessage == message, sourceLocation: sourceLocation) }
    #expect(answer.contentType == "text/xml", sourceLocation: sourceLocation)
}
