import Foundation
import Testing
@testable import SigV4

/// The lab's side of SigV4. Each refusal is the one Lambda sends; where each was seen:
/// - InvalidSignatureException, 403, "The request signature we calculated does not match…":
///   Lambda Invoke in erlcloud/erlcloud#690 and InvokeAsync in aws-beam/aws-elixir#77 (both show
///   403, `x-amzn-ErrorType`, `{"message":…}`).
/// - "Signature expired: … is now earlier than … (… - 5 min.)", InvalidSignatureException 403:
///   Lambda CreateFunction in serverless/serverless#27; "Signature not yet current: … is still
///   later than … (… + 5 min.)", 403: basak/glacier-cli#36, s12v/awsbeats#48.
/// - MissingAuthenticationTokenException, 403, "Missing Authentication Token": an unsigned Lambda
///   Invoke in brefphp/bref#1250.
/// - IncompleteSignatureException (400 in AWS's Common Errors): "Authorization header requires
///   '…' parameter." (aws/aws-sdk-js#4285, aws/chalice#828), "Credential must have exactly 5
///   slash-delimited elements…" (kubernetes-sigs/aws-iam-authenticator#374), "Date must be in
///   ISO-8601 'basic format'…" (brendanhay/amazonka#5).
/// - UnrecognizedClientException, 403, "The security token included in the request is invalid.":
///   Lambda DeleteFunction with a key AWS does not know, iann0036/iamlive#58.
@Suite("SigV4 SignatureCheck: what the lab accepts and refuses")
struct SignatureCheckTests {
    static let signer = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "lab-secret", sessionToken: "lab-session",
                                    region: "us-east-1", service: "lambda")
    static let signedAt = Date(timeIntervalSince1970: 1_772_366_400)  // 20260301T120000Z
    static let path = "/2015-03-31/functions/worker/invocations"
    static let body = Array(#"{"key":"worker-0"}"#.utf8)
    static let request: [(String, String)] = [("Host", "127.0.0.1:9001"), ("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "Event")]
    static let mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

    static func signed(by signer: SigV4Signer = signer, at date: Date = signedAt, query: [(String, String)] = []) -> [(String, String)] {
        request + signer.sign(method: "POST", path: path, query: query, headers: request, body: body, date: date)
    }

    static func check(_ headers: [(String, String)], body: [UInt8] = body, query: [(String, String)] = [], now: Date = signedAt.addingTimeInterval(30),
                      keys: [String: String] = ["LABACCESSKEY": "lab-secret"]) -> SignatureCheck.Failure? {
        if case .failure(let failure) = SignatureCheck.verify(method: "POST", path: path, query: query, headers: headers, body: body,
                                                              secretKeys: keys, now: now) { return failure }
        return nil
    }

    static func failure(_ type: String, _ status: Int, _ message: String) -> SignatureCheck.Failure {
        SignatureCheck.Failure(type: type, status: status, message: message)
    }

    @Test("signed right: passes, up to 5 minutes either side of the lab's clock, with unsigned headers added on the way")
    func passes() {
        #expect(Self.check(Self.signed()) == nil)
        #expect(Self.check(Self.signed(), now: Self.signedAt.addingTimeInterval(300)) == nil)
        #expect(Self.check(Self.signed(), now: Self.signedAt.addingTimeInterval(-300)) == nil)
        #expect(Self.check(Self.signed() + [("User-Agent", "Botocore/1.44"), ("amz-sdk-request", "attempt=1; max=3")]) == nil)
        #expect(Self.check(Self.signed(query: [("Qualifier", "live")]), query: [("Qualifier", "live")]) == nil)
    }

    @Test("a wrong secret, a changed body, query or signed header: 403 InvalidSignatureException")
    func mismatches() {
        let refused = Self.failure("InvalidSignatureException", 403, Self.mismatch)
        let wrongSecret = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "not-the-secret", sessionToken: "lab-session", region: "us-east-1", service: "lambda")
        #expect(Self.check(Self.signed(by: wrongSecret)) == refused)
        #expect(Self.check(Self.signed(), body: Array(#"{"key":"worker-1"}"#.utf8)) == refused)
        #expect(Self.check(Self.signed(), query: [("Qualifier", "live")]) == refused)
        #expect(Self.check(Self.signed().map { $0.0 == "X-Amz-Invocation-Type" ? ($0.0, "RequestResponse") : $0 }) == refused)
        #expect(Self.check(Self.signed().map { $0.0 == "X-Amz-Security-Token" ? ($0.0, "another-session") : $0 }) == refused)
        let anotherRegion = SigV4Signer(accessKey: "LABACCESSKEY", secretKey: "lab-secret", sessionToken: nil, region: "eu-west-1", service: "lambda")
        #expect(Self.check(Self.signed(by: anotherRegion)) == nil, "the scope is the request's own; the lab serves every Region")
    }

    @Test("an X-Amz-Date more than 5 minutes off: Signature expired / not yet current, with AWS's arithmetic")
    func skew() {
        #expect(Self.check(Self.signed(), now: Self.signedAt.addingTimeInterval(301)) == Self.failure("InvalidSignatureException", 403,
            "Signature expired: 20260301T120000Z is now earlier than 20260301T120001Z (20260301T120501Z - 5 min.)"))
        #expect(Self.check(Self.signed(), now: Self.signedAt.addingTimeInterval(-301)) == Self.failure("InvalidSignatureException", 403,
            "Signature not yet current: 20260301T120000Z is still later than 20260301T115959Z (20260301T115459Z + 5 min.)"))
    }

    @Test("no signature, an incomplete one, an unknown access key: Lambda's own refusals")
    func refusals() {
        #expect(Self.check(Self.request) == Self.failure("MissingAuthenticationTokenException", 403, "Missing Authentication Token"))
        let date = ("X-Amz-Date", "20260301T120000Z")
        #expect(Self.check(Self.request + [date, ("Authorization", "AWS LABACCESSKEY:c2lnbmF0dXJl")]) == Self.failure("IncompleteSignatureException", 400,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS LABACCESSKEY:c2lnbmF0dXJl"))
        let noDate = "AWS4-HMAC-SHA256 Credential=LABACCESSKEY/20260301/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"
        #expect(Self.check(Self.request + [("Authorization", noDate)]) == Self.failure("IncompleteSignatureException", 400,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=\(noDate)"))
        let short = "AWS4-HMAC-SHA256 Credential=LABACCESSKEY/20260301/us-east-1/lambda, SignedHeaders=host;x-amz-date, Signature=00"
        #expect(Self.check(Self.request + [date, ("Authorization", short)]) == Self.failure("IncompleteSignatureException", 400,
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'LABACCESSKEY/20260301/us-east-1/lambda'"))
        let noEquals = "AWS4-HMAC-SHA256 Credential LABACCESSKEY/20260301/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"
        #expect(Self.check(Self.request + [date, ("Authorization", noEquals)]) == Self.failure("IncompleteSignatureException", 400,
            "'Credential LABACCESSKEY/20260301/us-east-1/lambda/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '\(noEquals)'."))
        let httpDate = Self.signed().filter { $0.0 != "X-Amz-Date" } + [("Date", "Sun, 01 Mar 2026 12:00:00 GMT")]
        #expect(Self.check(httpDate) == Self.failure("IncompleteSignatureException", 400,
            "Date must be in ISO-8601 'basic format'. Got 'Sun, 01 Mar 2026 12:00:00 GMT'. See http://en.wikipedia.org/wiki/ISO_8601"))
        #expect(Self.check(Self.signed(), keys: ["OTHERKEY": "lab-secret"]) == Self.failure("UnrecognizedClientException", 403,
            "The security token included in the request is invalid."))
    }

    @Test("a request target splits into the raw path (signed as sent) and decoded query pairs")
    func targets() {
        let (path, query) = SignatureCheck.components(ofTarget: "/2015-03-31/functions/arn%3Aaws%3Alambda/invocations?Qualifier=live&b=a%20b&flag")
        #expect(path == "/2015-03-31/functions/arn%3Aaws%3Alambda/invocations")
        #expect(query.map { "\($0.0)=\($0.1)" } == ["Qualifier=live", "b=a b", "flag="])
        #expect(SignatureCheck.components(ofTarget: "/").query.isEmpty)
        #expect(SigV4Signer.uriEncode("a b/c:d~é") == "a%20b%2Fc%3Ad~%C3%A9")
    }

    @Test("signing is cheap enough for a fan-out: 1,000 Invoke calls signed in well under a second")
    func speed() {
        let clock = ContinuousClock()
        var last: [(String, String)] = []
        let elapsed = clock.measure {
            for index in 0..<1000 {
                last = Self.signer.sign(method: "POST", path: Self.path, query: [], headers: Self.request,
                                        body: Array(#"{"key":"worker-\#(index)"}"#.utf8), date: Self.signedAt)
            }
        }
        print("SigV4: 1,000 signatures in \(elapsed)")
        #expect(last.count == 3)
        #expect(elapsed < .seconds(2), "generous for a shared 2-core machine; a debug-speed signer would take several")
    }
}
