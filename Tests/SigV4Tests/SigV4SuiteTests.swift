import Digests
import Foundation
import Testing
@testable import SigV4

/// AWS's own SigV4 test suite (aws-sig-v4-test-suite, Apache-2.0, © Amazon.com), as botocore
/// ships it in tests/unit/auth/aws4_testsuite: for each case the request (.req), AWS's canonical
/// request (.creq), the last line of the string to sign (.sts: the canonical request's SHA-256)
/// and the signature of the Authorization header (.authz). Copied as literals; credentials,
/// date, Region and service are the suite's.
@Suite("SigV4 against AWS's aws-sig-v4-test-suite")
struct SigV4SuiteTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var method = "GET"
        var path = "/"
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body = ""
        let canonicalRequest: String
        let canonicalRequestHash: String
        let signature: String
        var sessionToken: String?
        var testDescription: String { name }
    }

    static let signer = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    sessionToken: nil, region: "us-east-1", service: "service")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let host = ("Host", "example.amazonaws.com")
    static let vanillaTail = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static let cases: [Case] = [
        Case(name: "get-vanilla", headers: [host], canonicalRequest: "GET\n/\n\n" + vanillaTail,
             canonicalRequestHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
             signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")], headers: [host],
             canonicalRequest: "GET\n/\nParam1=value1&Param2=value2\n" + vanillaTail,
             canonicalRequestHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
             signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Case(name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded"), host],
             body: "Param1=value1",
             canonicalRequest: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
             canonicalRequestHash: "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
             signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Case(name: "get-header-value-trim", headers: [host, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
             canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             canonicalRequestHash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
             signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Case(name: "get-header-key-duplicate", headers: [host, ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
             canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             canonicalRequestHash: "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
             signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Case(name: "post-vanilla-query", method: "POST", query: [("Param1", "value1")], headers: [host],
             canonicalRequest: "POST\n/\nParam1=value1\n" + vanillaTail,
             canonicalRequestHash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
             signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Case(name: "get-vanilla-with-session-token", headers: [host],
             canonicalRequest: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             canonicalRequestHash: "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
             signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
             sessionToken: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        Case(name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", headers: [host],
             canonicalRequest: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" + vanillaTail,
             canonicalRequestHash: "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
             signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Case(name: "get-utf8", path: "/\u{1234}", headers: [host], canonicalRequest: "GET\n/%E1%88%B4\n\n" + vanillaTail,
             canonicalRequestHash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
             signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Case(name: "get-vanilla-utf8-query", query: [("\u{1234}", "bar")], headers: [host],
             canonicalRequest: "GET\n/\n%E1%88%B4=bar\n" + vanillaTail,
             canonicalRequestHash: "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
             signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Case(name: "normalize-path/get-relative-relative", path: "/example1/example2/../..", headers: [host],
             canonicalRequest: "GET\n/\n\n" + vanillaTail,
             canonicalRequestHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
             signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(name: "normalize-path/get-slashes", path: "//example//", headers: [host], canonicalRequest: "GET\n/example/\n\n" + vanillaTail,
             canonicalRequestHash: "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
             signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    ]

    @Test("canonical request, string to sign and Authorization as the suite has them", arguments: cases)
    func suiteCase(_ test: Case) {
        let signer = SigV4Signer(accessKey: Self.signer.accessKey, secretKey: Self.signer.secretKey, sessionToken: test.sessionToken,
                                 region: "us-east-1", service: "service")
        let added = signer.sign(method: test.method, path: test.path, query: test.query, headers: test.headers,
                                body: Array(test.body.utf8), date: Self.date)
        let signedHeaders = test.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last!
        #expect(added.first { $0.0 == "Authorization" }?.1
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(signedHeaders), Signature=\(test.signature)")
        #expect(added.first { $0.0 == "X-Amz-Date" }?.1 == "20150830T123600Z")
        #expect(added.first { $0.0 == "X-Amz-Security-Token" }?.1 == test.sessionToken)
        // The steps, for a failure that says which one went wrong.
        let lowered = SigV4.headersToSign(test.headers + added.filter { $0.0 != "Authorization" })
        let canonical = SigV4.canonicalRequest(method: test.method, path: test.path, query: test.query, headers: lowered,
                                               payloadHash: hexString(Digests.SHA256.hash(Array(test.body.utf8))))
        #expect(canonical.text == test.canonicalRequest)
        let scope = SigV4Scope(date: "20150830", region: "us-east-1", service: "service")
        #expect(SigV4.stringToSign(timestamp: "20150830T123600Z", scope: scope, canonicalRequest: canonical.text)
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\(test.canonicalRequestHash)")
    }

    @Test("the suite's signed requests pass the lab's check at their own time, and not with another secret", arguments: cases)
    func suiteCaseVerifies(_ test: Case) {
        let headers = test.headers + [("X-Amz-Date", "20150830T123600Z"),
                                      ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(test.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last!), Signature=\(test.signature)")]
            + (test.sessionToken.map { [("X-Amz-Security-Token", $0)] } ?? [])
        let check = { (secret: String) in
            SignatureCheck.verify(method: test.method, path: test.path, query: test.query, headers: headers, body: Array(test.body.utf8),
                                  secretKey: secret, now: Self.date.addingTimeInterval(90))
        }
        #expect((try? check(Self.signer.secretKey).get()) != nil)
        #expect((try? check("another-secret").get()) == nil)
    }

    @Test("dates: the stamp is UTC basic ISO 8601, across leap days and centuries, and reads back")
    func timestamps() {
        for (seconds, stamp) in [(0.0, "19700101T000000Z"), (951_782_400, "20000229T000000Z"), (1_440_938_160.9, "20150830T123600Z"),
                                 (4_107_542_399, "21000228T235959Z"), (4_107_542_400, "21000301T000000Z")] {
            #expect(SigV4Time.timestamp(Date(timeIntervalSince1970: seconds)) == stamp)
            #expect(SigV4Time.seconds(stamp) == Int64(seconds.rounded(.down)))
        }
        for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z", "Sun, 30 Aug 2015 12:36:00 GMT"] {
            #expect(SigV4Time.seconds(bad) == nil, "\(bad)")
        }
    }
}
