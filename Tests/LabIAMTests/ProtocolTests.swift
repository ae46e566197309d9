import Foundation
import LabIAM
import HTTP
import Testing

@Suite("IAM's Query protocol: form bodies in, namespaced XML out, errors as IAM sends them")
struct ProtocolTests {
    @Test("An answer is <ActionResponse xmlns=…> with <ActionResult> and a RequestId, as text/xml")
    func envelope() throws {
        let answer = try call(try serviceWithRole(), "GetRole", ["RoleName": "fn-role"])
        #expect(answer.contentType == "text/xml")
        #expect(answer.rootName == "GetRoleResponse")
        #expect(answer.rootNamespace == "https://iam.amazonaws.com/doc/2010-05-08/")
        let root = try #require(answer.document.rootElement())
        #expect(root.children?.compactMap(\.name) == ["GetRoleResult", "ResponseMetadata"])
        let id = try #require(answer.value("RequestId"))
        #expect(UUID(uuidString: id) != nil && id == id.lowercased(), "\(id)")
    }

    @Test("An error is <ErrorResponse> with Type, Code, Message and a RequestId beside the Error")
    func errorEnvelope() throws {
        let answer = try call(IAMService(), "GetRole", ["RoleName": "x"])
        #expect(answer.rootNamespace == "https://iam.amazonaws.com/doc/2010-05-08/")
        let root = try #require(answer.document.rootElement())
        #expect(root.children?.compactMap(\.name) == ["Error", "RequestId"])
        #expect(answer.values("Code", under: "Error") == ["NoSuchEntity"])
    }

    @Test("An Action the lab does not serve is InvalidAction (400); a body without Action is MissingAction")
    func unknownAction() throws {
        expectError(try call(IAMService(), "CreateUser", ["UserName": "u"]), 400, "InvalidAction",
                    "Could not find operation CreateUser for version 2010-05-08")
        expectError(try send(IAMService(), "RoleName=x&Version=2010-05-08"), 400, "MissingAction")
    }

    @Test("A missing required parameter is a ValidationError (400) naming the member")
    func missingParameter() throws {
        expectError(try call(IAMService(), "CreateRole", ["RoleName": "r"]), 400, "ValidationError",
                    "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null")
        expectError(try call(IAMService(), "GetRole"), 400, "ValidationError")
    }

    @Test("Names, paths and durations IAM would refuse are refused with ValidationError")
    func validation() throws {
        let iam = IAMService()
        expectError(try call(iam, "CreateRole", ["RoleName": "has space", "AssumeRolePolicyDocument": lambdaTrust]), 400, "ValidationError")
        expectError(try call(iam, "CreateRole", ["RoleName": String(repeating: "r", count: 65), "AssumeRolePolicyDocument": lambdaTrust]),
                    400, "ValidationError")
        expectError(try call(iam, "CreateRole", ["RoleName": "r", "Path": "lambda", "AssumeRolePolicyDocument": lambdaTrust]), 400, "ValidationError")
        expectError(try call(iam, "CreateRole", ["RoleName": "r", "MaxSessionDuration": "50000", "AssumeRolePolicyDocument": lambdaTrust]),
                    400, "ValidationError")
        expectError(try call(iam, "CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": "\"just a string\""]), 400, "MalformedPolicyDocument")
        // None of the refused requests left a role behind.
        #expect(try call(iam, "ListRoles").count("member") == 0)
    }

    @Test("Form decoding: + is a space, %2B a plus, a malformed escape is kept, list members go by number")
    func formDecoding() throws {
        let iam = IAMService()
        let trust = formEncode(lambdaTrust)
        let tags = (1...11).map { "Tags.member.\($0).Key=k\($0)&Tags.member.\($0).Value=v" }.joined(separator: "&")
        let body = "Action=CreateRole&RoleName=r&Description=two+words%2Bplus%zz%41&AssumeRolePolicyDocument=\(trust)&\(tags)&Version=2010-05-08"
        #expect(try send(iam, body).status == 200)
        let role = try call(iam, "GetRole", ["RoleName": "r"])
        #expect(role.value("Description") == "two words+plus%zzA")
        #expect(role.decodedDocument("AssumeRolePolicyDocument") == lambdaTrust)
        #expect(role.values("Key", under: "Tags") == (1...11).map { "k\($0)" })
    }

    @Test("Text with XML's special characters and non-ASCII survives the round trip")
    func escaping() throws {
        let text = "a < b && c > \"d\" 'e' ü\r\n]]>"
        let iam = try serviceWithRole("fn-role", ["Description": text, "Tags.member.1.Key": "équipe", "Tags.member.1.Value": "a+b=c/d@e"])
        let role = try call(iam, "GetRole", ["RoleName": "fn-role"])
        #expect(role.value("Description") == text)
        #expect(role.values("Key", under: "Tags") == ["équipe"])
        #expect(role.values("Value", under: "Tags") == ["a+b=c/d@e"])
        #expect(role.text.contains("a &lt; b &amp;&amp; c &gt;"))
        let policyText = "— 日本語 <&> 🙂"
        let policy = try call(iam, "CreatePolicy", ["PolicyName": "p", "PolicyDocument": logsPolicy, "Description": policyText])
        #expect(try call(iam, "GetPolicy", ["PolicyArn": try #require(policy.value("Arn"))]).value("Description") == policyText)
    }

    @Test("Descriptions and tags IAM's patterns refuse are refused: a role description beyond Latin-1, control characters, tag punctuation")
    func textRules() throws {
        let iam = try serviceWithRole()
        expectError(try call(iam, "UpdateRoleDescription", ["RoleName": "fn-role", "Description": "em — dash"]), 400, "ValidationError")
        expectError(try call(iam, "CreatePolicy", ["PolicyName": "p", "PolicyDocument": logsPolicy, "Description": "bell \u{7}"]),
                    400, "ValidationError")
        expectError(try call(iam, "TagRole", ["RoleName": "fn-role", "Tags.member.1.Key": "<k>", "Tags.member.1.Value": "v"]), 400, "ValidationError",
                    "1 validation error detected: Value '<k>' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")
        expectError(try call(iam, "TagRole", ["RoleName": "fn-role", "Tags.member.1.Key": "k", "Tags.member.1.Value": String(repeating: "v", count: 257)]),
                    400, "ValidationError")
        #expect(try call(iam, "ListRoleTags", ["RoleName": "fn-role"]).count("member") == 0)
    }

    @Test("accepts: a POST to / with an Action form body, not the Lambda API's paths")
    func accepts() {
        let body = Array("Action=GetRole&RoleName=r&Version=2010-05-08".utf8)
        #expect(IAMService.accepts(HTTPRequest(method: "POST", target: "/", body: body)))
        #expect(!IAMService.accepts(HTTPRequest(method: "GET", target: "/", body: body)))
        #expect(!IAMService.accepts(HTTPRequest(method: "POST", target: "/2015-03-31/functions", body: body)))
        #expect(!IAMService.accepts(HTTPRequest(method: "POST", target: "/", body: Array("{}".utf8))))
    }
}
