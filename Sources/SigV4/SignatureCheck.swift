// The service's side of SigV4, for the lab: recompute the signature from what the request itself
// declares (credential scope, signed headers) and compare. The refusals are Lambda's own: types,
// statuses and messages as AWS answers them (where each was seen: SignatureCheckTests).
import Digests
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public enum SignatureCheck {
    /// A refusal shaped as the AWS error: `X-Amzn-ErrorType`, HTTP status, message.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let type: String
        public let status: Int
        public let message: String
        public var description: String { "\(type) (\(status)): \(message)" }

        static let mismatch = Failure(type: "InvalidSignatureException", status: 403, message:
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        static let missing = Failure(type: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token")
        static let unknownKey = Failure(type: "UnrecognizedClientException", status: 403, message: "The security token included in the request is invalid.")
        static func incomplete(_ message: String) -> Failure { Failure(type: "IncompleteSignatureException", status: 400, message: message) }
    }

    /// AWS refuses a signature dated more than 5 minutes from its own clock, either way.
    public static let allowedSkew: Int64 = 300

    /// Checks a request signed for one secret key, whichever access key it names.
    /// `path` is the path as received (still percent-encoded); `query` its decoded pairs.
    public static func verify(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                              body: [UInt8], secretKey: String, now: Date) -> Result<Void, Failure> {
        verify(method: method, path: path, query: query, headers: headers, body: body, now: now) { _ in secretKey }
    }

    /// Checks a request against known credentials (access key → secret key); an access key not
    /// among them is refused as AWS refuses one it never issued.
    public static func verify(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                              body: [UInt8], secretKeys: [String: String], now: Date) -> Result<Void, Failure> {
        verify(method: method, path: path, query: query, headers: headers, body: body, now: now) { secretKeys[$0] }
    }

    /// The same from a raw request target (`/path?query`), as an HTTP server reads it.
    public static func verify(method: String, target: String, headers: [(String, String)], body: [UInt8],
                              secretKeys: [String: String], now: Date) -> Result<Void, Failure> {
        let (path, query) = components(ofTarget: target)
        return verify(method: method, path: path, query: query, headers: headers, body: body, secretKeys: secretKeys, now: now)
    }

    /// Splits a request target into its raw path and its decoded query pairs (`+` stays `+`:
    /// SigV4 clients encode a space as %20).
    public static func components(ofTarget target: String) -> (path: String, query: [(String, String)]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else { return (String(parts[0]), []) }
        let query = parts[1].split(separator: "&").map { pair -> (String, String) in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecoded(halves[0]), halves.count > 1 ? percentDecoded(halves[1]) : "")
        }
        return (String(parts[0]), query)
    }

    static func verify(method: String, path: String, query: [(String, String)], headers: [(String, String)], body: [UInt8],
                       now: Date, secretKey: (String) -> String?) -> Result<Void, Failure> {
        // Every header the client lists is signed, even one botocore leaves out (the Java SDK signs User-Agent).
        let lowered = headers.map { ($0.0.lowercased(), $0.1) }
        func header(_ name: String) -> String? { lowered.first { $0.0 == name }?.1 }
        guard let authorization = header("authorization") else { return .failure(.missing) }
        let parsed: Authorization
        switch Authorization.parse(authorization, hasDate: header("x-amz-date") ?? header("date") != nil) {
        case .failure(let failure): return .failure(failure)
        case .success(let value): parsed = value
        }
        // botocore sends X-Amz-Date; AWS also reads a Date header, but only in the same format.
        let stamp = header("x-amz-date") ?? header("date")!
        guard let signedAt = SigV4Time.seconds(stamp) else {
            return .failure(.incomplete("Date must be in ISO-8601 'basic format'. Got '\(stamp)'. See http://en.wikipedia.org/wiki/ISO_8601"))
        }
        let clock = Int64(now.timeIntervalSince1970.rounded(.down))
        let nowText = SigV4Time.timestamp(now)
        if signedAt < clock - allowedSkew {
            let limit = SigV4Time.timestamp(Date(timeIntervalSince1970: Double(clock - allowedSkew)))
            return .failure(Failure(type: "InvalidSignatureException", status: 403,
                                    message: "Signature expired: \(stamp) is now earlier than \(limit) (\(nowText) - 5 min.)"))
        }
        if signedAt > clock + allowedSkew {
            let limit = SigV4Time.timestamp(Date(timeIntervalSince1970: Double(clock + allowedSkew)))
            return .failure(Failure(type: "InvalidSignatureException", status: 403,
                                    message: "Signature not yet current: \(stamp) is still later than \(limit) (\(nowText) + 5 min.)"))
        }
        let credential = parsed.credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard credential.count == 5 else {
            return .failure(.incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '\(parsed.credential)'"))
        }
        guard let secret = secretKey(credential[0]) else { return .failure(.unknownKey) }
        // A scope of another day than the stamp, or another terminator, can never match.
        guard credential[1] == stamp.prefix(8), credential[4] == "aws4_request" else { return .failure(.mismatch) }
        // Only the headers the client says it signed, in the order they came.
        let names = Set(parsed.signedHeaders.split(separator: ";").map { String($0) })
        var signed = lowered.filter { names.contains($0.0) }
        for name in names where !signed.contains(where: { $0.0 == name }) { signed.append((name, "")) }
        let scope = SigV4Scope(date: credential[1], region: credential[2], service: credential[3])
        // The payload hash is always the body's own: a changed body must not pass on a header's word.
        let canonical = SigV4.canonicalRequest(method: method, path: path, query: query, headers: signed,
                                               payloadHash: SHA256.hexDigest(of: body))
        let expected = SigV4.signature(stringToSign: SigV4.stringToSign(timestamp: stamp, scope: scope, canonicalRequest: canonical.text),
                                       secretKey: secret, scope: scope)
        return sameBytes(expected, parsed.signature) && canonical.signedHeaders == parsed.signedHeaders ? .success(()) : .failure(.mismatch)
    }

    /// Compares every byte whatever the first difference, so timing tells nothing of the signature.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var rest = Array(text.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, refused with AWS's sentences.
struct Authorization {
    let credential: String
    let signedHeaders: String
    let signature: String

    static func parse(_ header: String, hasDate: Bool) -> Result<Authorization, SignatureCheck.Failure> {
        var fields: [String: String] = [:]
        let trimmed = header.drop { $0 == " " }
        // Another scheme (SigV2's "AWS key:signature") has none of the three parameters.
        if trimmed.hasPrefix(SigV4.algorithm + " ") {
            for part in trimmed.dropFirst(SigV4.algorithm.count + 1).split(separator: ",") {
                let item = part.trimmingSpaces
                guard let equals = item.firstIndex(of: "=") else {
                    return .failure(.incomplete("'\(item)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'."))
                }
                fields[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
        }
        var missing = ["Credential", "Signature", "SignedHeaders"].filter { fields[$0] == nil }
            .map { "Authorization header requires '\($0)' parameter." }
        if !hasDate { missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.") }
        guard missing.isEmpty else { return .failure(.incomplete((missing + ["Authorization=\(header)"]).joined(separator: " "))) }
        return .success(Authorization(credential: fields["Credential"]!, signedHeaders: fields["SignedHeaders"]!, signature: fields["Signature"]!))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
