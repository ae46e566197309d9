import Foundation
import LabTestSupport
import LambdaLab
import HTTP
import LambdaAPI
import SigV4
import Testing

/// `LabConfiguration.verifySignatures` over HTTP: the front door refuses as Lambda does, and a
/// function's own environment credentials are the ones the lab accepts.
@Suite("SigV4 through the lab's front door", .serialized, .timeLimit(.minutes(10)))
struct LabSignatureTests {
    /// A function in a few lines of Python's standard library, speaking the Runtime API: it answers
    /// each event with the event and the credentials its environment was given.
    static let echo = #"""
        import json, os, urllib.request
        api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
        while True:
            with urllib.request.urlopen(api + "next") as r:
                rid, event = r.headers["Lambda-Runtime-Aws-Request-Id"], json.loads(r.read() or b"null")
            answer = {"event": event, "key": os.environ.get("AWS_ACCESS_KEY_ID"), "secret": os.environ.get("AWS_SECRET_ACCESS_KEY"),
                      "token": os.environ.get("AWS_SESSION_TOKEN"), "region": os.environ.get("AWS_REGION")}
            urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=json.dumps(answer).encode(), method="POST")).read()
        """#

    /// One request to the lab, signed by `signer` at `date` unless nil; `tamper` changes it after signing.
    static func send(_ port: UInt16, _ target: String, method: String = "POST", body: String = "", extra: [(String, String)] = [],
                     signer: SigV4Signer?, date: Date = Date(), tamper: (inout HTTPRequest) -> Void = { _ in }) throws -> (status: Int, type: String?, json: [String: Any]) {
        let headers = [("Host", "127.0.0.1:\(port)"), ("Content-Type", "application/json")] + extra
        let (path, query) = SignatureCheck.components(ofTarget: target)
        let signature = signer?.sign(method: method, path: path, query: query, headers: headers, body: Array(body.utf8), date: date) ?? []
        var fields = HTTPHeaders()
        for (name, value) in headers + signature where name != "Host" { fields.add(name, value) }  // the client writes Host itself
        var request = HTTPRequest(method: method, target: target, headers: fields, body: Array(body.utf8))
        tamper(&request)
        let response = try HTTPClient(port: port).send(request)
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, response.headers["X-Amzn-ErrorType"], json)
    }

    /// The credentials every execution environment gets, as a function would read them.
    static let functionSigner = SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "LABACCESSKEY", "AWS_SECRET_ACCESS_KEY": "lab-secret",
                                                               "AWS_SESSION_TOKEN": "lab-session", "AWS_REGION": "us-east-1"])!

    @Test("verification on: signed right, Invoke runs; a wrong secret, a changed body, an old date or no signature are refused as Lambda refuses them",
          .enabled("python3 is not installed (the echo function is a Python script)") { await Python3.runs.value })
    func invoke() async throws {
        var configuration = LabConfiguration()
        configuration.verifySignatures = LabConfiguration.labCredentials
        try await withTestLab(configuration) { lab in
            try lab.deploy(FunctionConfiguration(name: "echo", command: ["/usr/bin/env", "python3", "-c", Self.echo], timeout: .seconds(10)))
            let port = try lab.startInvokeAPI()
            let target = InvokeAPIPath.invocations("echo")

            let ran = try Self.send(port, target, body: #"{"key":"a"}"#, signer: Self.functionSigner)
            #expect(ran.status == 200 && (ran.json["event"] as? [String: String]) == ["key": "a"])
            // What the lab accepts is what it gives its functions (Lab.environmentVariables).
            let key = try #require(ran.json["key"] as? String)
            #expect(LabConfiguration.labCredentials[key] == ran.json["secret"] as? String)
            #expect(ran.json["token"] as? String == Self.functionSigner.sessionToken)
            let qualified = try Self.send(port, target + "?Qualifier=%24LATEST", body: "{}", extra: [("X-Amz-Log-Type", "Tail")], signer: Self.functionSigner)
            #expect(qualified.status == 200)

            let wrong = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "wrong-secret", sessionToken: nil, region: "us-east-1", service: "lambda")
            let refusals = [
                try Self.send(port, target, body: #"{"key":"a"}"#, signer: wrong),
                try Self.send(port, target, body: #"{"key":"a"}"#, signer: Self.functionSigner) { $0.body = Array(#"{"key":"b"}"#.utf8) },
                try Self.send(port, target, body: "{}", extra: [("X-Amz-Invocation-Type", "Event")], signer: Self.functionSigner) {
                    $0.headers.set("X-Amz-Invocation-Type", "RequestResponse")
                },
            ]
            for refused in refusals {
                #expect(refused.status == 403 && refused.type == "InvalidSignatureException")
                #expect(refused.json["message"] as? String == "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
            }
            let old = try Self.send(port, target, body: "{}", signer: Self.functionSigner, date: Date().addingTimeInterval(-600))
            #expect(old.status == 403 && old.type == "InvalidSignatureException")
            #expect((old.json["message"] as? String ?? "").hasPrefix("Signature expired: "))
            let unsigned = try Self.send(port, target, body: "{}", signer: nil)
            #expect(unsigned.status == 403 && unsigned.type == "MissingAuthenticationTokenException" && unsigned.json["message"] as? String == "Missing Authentication Token")
            let stranger = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "lab-secret", sessionToken: nil, region: "us-east-1", service: "lambda")
            #expect(try Self.send(port, target, body: "{}", signer: stranger).type == "UnrecognizedClientException")
            #expect(lab.records.count == 2, "only the two calls signed right ran")
        }
    }

    @Test("verification on: the control plane checks a call that carries a signature and lets an unsigned one through")
    func controlPlane() async throws {
        var configuration = LabConfiguration()
        configuration.verifySignatures = LabConfiguration.labCredentials
        try await withTestLab(configuration) { lab in
            let port = try lab.startInvokeAPI()
            #expect(try Self.send(port, "/2015-03-31/functions", method: "GET", signer: Self.functionSigner).status == 200)
            #expect(try Self.send(port, "/2015-03-31/functions", method: "GET", signer: nil).status == 200)
            let wrong = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "wrong", sessionToken: nil, region: "us-east-1", service: "lambda")
            let refused = try Self.send(port, "/2015-03-31/functions", method: "GET", signer: wrong)
            #expect(refused.status == 403 && refused.type == "InvalidSignatureException")
        }
    }

    @Test("verification off (the default): a wrong signature and no signature are both accepted")
    func offByDefault() async throws {
        #expect(LabConfiguration().verifySignatures == nil)
        try await withTestLab { lab in
            try lab.deploy(FunctionConfiguration(name: "echo", command: ["/bin/false"]))
            let port = try lab.startInvokeAPI()
            let wrong = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "wrong", sessionToken: nil, region: "us-east-1", service: "lambda")
            #expect(try Self.send(port, "/2015-03-31/functions", method: "GET", signer: wrong).status == 200)
            // DryRun: validated and answered without starting the function.
            #expect(try Self.send(port, InvokeAPIPath.invocations("echo"), extra: [("X-Amz-Invocation-Type", "DryRun")], signer: wrong).status == 204)
            #expect(try Self.send(port, InvokeAPIPath.invocations("echo"), extra: [("X-Amz-Invocation-Type", "DryRun")], signer: nil).status == 204)
        }
    }
}
