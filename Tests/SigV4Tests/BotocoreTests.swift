import Foundation
import Testing
@testable import SigV4

/// The orchestrator's Invoke calls signed by botocore (boto3's and aws-cli's signer) with a fixed
/// clock, then by `SigV4Signer`, header by header. botocore is installed from PyPI at test time.
@Suite("SigV4 signatures equal botocore's for the orchestrator's Invoke calls", .timeLimit(.minutes(3)))
struct BotocoreTests {
    /// "auth": botocore's `SigV4Auth` over the request exactly as given (the orchestrator's headers).
    /// "client": a real botocore Lambda client's Invoke, caught before it is sent — its URL shows
    /// how botocore encodes a function ARN in the path; the headers it had just before signing are
    /// what our signer is given.
    static let script = #"""
        import datetime, json, sys
        from unittest import mock
        import botocore.session
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest, AWSResponse
        from botocore.credentials import Credentials

        out = []
        for case in json.load(sys.stdin):
            stamp = datetime.datetime.strptime(case["date"], "%Y%m%dT%H%M%SZ")
            with mock.patch("botocore.auth.get_current_datetime", return_value=stamp):
                if case["mode"] == "auth":
                    request = AWSRequest(method="POST", url=case["url"], data=bytes.fromhex(case["body"]), headers=dict(case["headers"]))
                    SigV4Auth(Credentials(case["accessKey"], case["secretKey"], case.get("token")), "lambda", case["region"]).add_auth(request)
                    before = case["headers"]
                else:
                    seen = {}
                    def snapshot(request, **kwargs): seen["before"] = [[k, v] for k, v in request.headers.items()]
                    def catch(request, **kwargs):
                        seen["request"] = request
                        return AWSResponse(request.url, 200, {}, None)
                    client = botocore.session.get_session().create_client(
                        "lambda", region_name=case["region"], endpoint_url=case["endpoint"], aws_access_key_id=case["accessKey"],
                        aws_secret_access_key=case["secretKey"], aws_session_token=case.get("token"))
                    client.meta.events.register("before-sign.lambda.Invoke", snapshot)
                    client.meta.events.register("before-send.lambda.Invoke", catch)
                    try: client.invoke(**case["params"])
                    except Exception: pass
                    request, before = seen["request"], seen["before"]
            text = lambda v: v.decode() if isinstance(v, bytes) else v
            body = request.body if isinstance(request.body, bytes) else (request.body or b"")
            out.append({"url": request.url, "before": [[k, text(v)] for k, v in before], "body": body.hex(),
                        "signed": [[k, text(v)] for k, v in request.headers.items()]})
        print(json.dumps(out))
        """#

    struct Case {
        let name: String
        var target = "/2015-03-31/functions/worker/invocations"
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var token: String?
        var body = #"{"key":"worker-0"}"#
    }

    static let date = "20260301T120000Z"
    static let host = "127.0.0.1:9001"

    static func input(_ cases: [Case]) -> [[String: Any]] {
        cases.map { test in
            var json: [String: Any] = ["mode": "auth", "url": "http://\(host)\(test.target)", "headers": test.headers.map { [$0.0, $0.1] },
                                       "body": hexString(Array(test.body.utf8)), "accessKey": "LABACCESSKEY", "secretKey": "lab-secret",
                                       "region": "us-east-1", "date": date]
            if let token = test.token { json["token"] = token }
            return json
        }
    }

    /// What botocore answered. The venv is there: the test's trait checked.
    static func botocore(_ cases: [[String: Any]]) async throws -> [[String: Any]] {
        let python = try await VectorsVenv.shared.python().get()
        let result = try await run([python, "-c", script], input: Array(try JSONSerialization.data(withJSONObject: cases)))
        try #require(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    }

    static func pairs(_ value: Any?) -> [(String, String)] {
        (value as? [[String]] ?? []).map { ($0[0], $0[1]) }
    }

    /// The three headers SigV4 adds, botocore's and ours, compared one by one.
    static func compare(_ name: String, botocore: [(String, String)], ours: [(String, String)]) {
        for header in ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"] {
            #expect(ours.first { $0.0 == header }?.1 == botocore.first { $0.0 == header }?.1, "\(name): \(header)")
        }
        #expect(botocore.contains { $0.0 == "Authorization" }, "\(name): botocore signed")
        #expect(ours.count == botocore.filter { ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"].contains($0.0) }.count, "\(name): no other header added")
    }

    @Test("POST …/functions/worker/invocations with a JSON body; with ?Qualifier=live; a session token; Event; Tail",
          .enabled("botocore could not be installed into .build/vectors-venv (no python3, or PyPI out of reach)") { await VectorsVenv.shared.isReady() })
    func orchestratorRequests() async throws {
        let cases = [
            Case(name: "JSON body"),
            Case(name: "Qualifier", target: "/2015-03-31/functions/worker/invocations?Qualifier=live"),
            Case(name: "session token", token: "lab-session"),
            Case(name: "Event", headers: [("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "Event")]),
            Case(name: "Tail", headers: [("Content-Type", "application/json"), ("X-Amz-Log-Type", "Tail")], body: #"{"key":"worker-1","big":"\#(String(repeating: "x", count: 3000))"}"#),
        ]
        let answers = try await Self.botocore(Self.input(cases))
        try #require(answers.count == cases.count)
        for (test, answer) in zip(cases, answers) {
            let (path, query) = SignatureCheck.components(ofTarget: test.target)
            let signer = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "lab-secret", sessionToken: test.token, region: "us-east-1", service: "lambda")
            let ours = signer.sign(method: "POST", path: path, query: query, headers: [("Host", Self.host)] + test.headers,
                                   body: Array(test.body.utf8), date: Date(timeIntervalSince1970: Double(SigV4Time.seconds(Self.date)!)))
            Self.compare(test.name, botocore: Self.pairs(answer["signed"]), ours: ours)
        }
        // Signed by botocore: host, the X-Amz headers and Content-Type; no payload-hash header for lambda.
        let authorization = Self.pairs(answers[4]["signed"]).first { $0.0 == "Authorization" }?.1 ?? ""
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-log-type,"))
        #expect(!Self.pairs(answers[0]["signed"]).contains { $0.0.lowercased() == "x-amz-content-sha256" })
    }

    @Test("a qualified function ARN through botocore's Lambda client: the path is encoded once on the wire and again in the signature",
          .enabled("botocore could not be installed into .build/vectors-venv (no python3, or PyPI out of reach)") { await VectorsVenv.shared.isReady() })
    func qualifiedARN() async throws {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:worker:live"
        let input: [[String: Any]] = [["mode": "client", "endpoint": "https://lambda.us-east-1.amazonaws.com", "accessKey": "AKIDEXAMPLE",
                                       "secretKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token": "session-token", "region": "us-east-1",
                                       "date": Self.date,
                                       "params": ["FunctionName": arn, "Payload": #"{"key":"a"}"#, "InvocationType": "Event", "LogType": "Tail"]]]
        let answer = try #require(try await Self.botocore(input).first)
        let url = try #require(URLComponents(string: answer["url"] as? String ?? ""))
        let path = "/2015-03-31/functions/\(SigV4Signer.uriEncode(arn))/invocations"
        #expect(url.percentEncodedPath == path)
        #expect(path.contains("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aworker%3Alive"))
        #expect(SigV4.canonicalURI(path).contains("arn%253Aaws%253Alambda%253Aus-east-1"))
        let signer = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token",
                                 region: "us-east-1", service: "lambda")
        let ours = signer.sign(method: "POST", path: path, query: [], headers: [("Host", "lambda.us-east-1.amazonaws.com")] + Self.pairs(answer["before"]),
                               body: bytes(hex: answer["body"] as? String ?? ""), date: Date(timeIntervalSince1970: Double(SigV4Time.seconds(Self.date)!)))
        Self.compare("client", botocore: Self.pairs(answer["signed"]), ours: ours)
        // User-Agent went out but is never signed; the SDK's retry headers are added after signing.
        let authorization = Self.pairs(answer["signed"]).first { $0.0 == "Authorization" }?.1 ?? ""
        #expect(authorization.contains("SignedHeaders=host;x-amz-date;x-amz-invocation-type;x-amz-log-type;x-amz-security-token,"))
        #expect(Self.pairs(answer["before"]).contains { $0.0 == "User-Agent" })
    }

    @Test("credentials from Lambda's environment variables, as the lab and AWS set them")
    func environment() {
        let signer = SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "LABACCESSKEY", "AWS_SECRET_ACCESS_KEY": "lab-secret",
                                                    "AWS_SESSION_TOKEN": "lab-session", "AWS_REGION": "eu-west-1"])
        #expect(signer?.accessKey == "LABACCESSKEY" && signer?.secretKey == "lab-secret" && signer?.sessionToken == "lab-session")
        #expect(signer?.region == "eu-west-1" && signer?.service == "lambda")
        #expect(SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_DEFAULT_REGION": "us-west-2"])?.region == "us-west-2")
        #expect(SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "us-east-1"])?.sessionToken == nil)
        #expect(SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "a", "AWS_REGION": "us-east-1"]) == nil)
        #expect(SigV4Signer.credentials(from: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]) == nil)
    }
}
