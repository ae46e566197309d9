// AWS Signature Version 4 for requests with the signature in the Authorization header, step by
// step as AWS documents it and as botocore's `SigV4Auth` (the non-S3 signer) computes it. The
// orchestrator signs each call of a fan-out of up to 1,000 with it, so it formats dates with
// integer arithmetic and builds strings from bytes, without formatters or regular expressions.
import Digests
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs requests for one set of credentials, Region and service.
public struct SigV4Signer: Sendable {
    public let accessKey: String
    public let secretKey: String
    public let sessionToken: String?
    public let region: String
    public let service: String

    public init(accessKey: String, secretKey: String, sessionToken: String?, region: String, service: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The credentials Lambda gives every execution environment (and the lab gives its own dummy
    /// ones the same way): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
    /// (botocore's AWS_DEFAULT_REGION when AWS_REGION is unset). Nil when a key or the Region is missing.
    public static func credentials(from environment: [String: String], service: String = "lambda") -> SigV4Signer? {
        guard let accessKey = environment["AWS_ACCESS_KEY_ID"], !accessKey.isEmpty,
              let secretKey = environment["AWS_SECRET_ACCESS_KEY"], !secretKey.isEmpty,
              let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], !region.isEmpty else { return nil }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return SigV4Signer(accessKey: accessKey, secretKey: secretKey, sessionToken: token, region: region, service: service)
    }

    /// The headers to add to the request: `X-Amz-Date`, `X-Amz-Security-Token` with a session
    /// token, and `Authorization`.
    ///
    /// - `path`: the path exactly as it goes on the wire, already percent-encoded (build a segment
    ///   with `SigV4Signer.uriEncode`, as botocore does for `{FunctionName}`). SigV4 encodes it once
    ///   more for every service but S3, so `arn%3Aaws%3A…` is signed as `arn%253Aaws%253A…`.
    /// - `query`: decoded names and values; they are encoded here (RFC 3986) and sorted.
    /// - `headers`: the headers as they will be sent, `Host` included. All are signed except the
    ///   hop-by-hop ones and `User-Agent` (botocore's list). Any `Authorization`, `X-Amz-Date` or
    ///   `X-Amz-Security-Token` given is replaced by the returned one.
    /// - The payload is signed by its SHA-256; no `X-Amz-Content-Sha256` header is added: botocore
    ///   adds it only for S3 (and for unsigned payloads, which Lambda never uses).
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                     body: [UInt8], date: Date) -> [(String, String)] {
        let timestamp = SigV4Time.timestamp(date)
        var added = [("X-Amz-Date", timestamp)]
        if let sessionToken { added.append(("X-Amz-Security-Token", sessionToken)) }
        let replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]
        let kept = headers.filter { !replaced.contains($0.0.lowercased()) }
        let scope = SigV4Scope(date: String(timestamp.prefix(8)), region: region, service: service)
        let canonical = SigV4.canonicalRequest(method: method, path: path, query: query,
                                               headers: SigV4.headersToSign(kept + added), payloadHash: SHA256.hexDigest(of: body))
        let signature = SigV4.signature(stringToSign: SigV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical.text),
                                        secretKey: secretKey, scope: scope)
        added.append(("Authorization", "\(SigV4.algorithm) Credential=\(accessKey)/\(scope.text), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"))
        return added
    }

    /// RFC 3986 percent-encoding: every byte of the UTF-8 but A–Z a–z 0–9 - . _ ~ as %XX (upper
    /// case). For query names and values, and for one path segment (botocore's `percent_encode`).
    public static func uriEncode(_ text: String) -> String { SigV4.encode(text, keepingSlash: false) }
}

/// `date/region/service/aws4_request`: what a signature is good for.
struct SigV4Scope {
    let date: String
    let region: String
    let service: String
    var text: String { "\(date)/\(region)/\(service)/aws4_request" }
}

/// The steps, shared by the signer and the lab's check.
enum SigV4 {
    static let algorithm = "AWS4-HMAC-SHA256"
    /// Never signed: they may change between hops (botocore's SIGNED_HEADERS_BLACKLIST).
    static let unsignedHeaders: Set<String> = ["connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
                                               "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"]

    /// Lower-cased names with their values in order, hop-by-hop headers left out.
    static func headersToSign(_ headers: [(String, String)]) -> [(String, String)] {
        headers.map { ($0.0.lowercased(), $0.1) }.filter { !unsignedHeaders.contains($0.0) }
    }

    /// The canonical request and the signed-headers list it names. `headers` have lower-case names.
    static func canonicalRequest(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                                 payloadHash: String) -> (text: String, signedHeaders: String) {
        // One line per name, sorted; repeated names join their trimmed values with commas.
        var grouped: [String: [String]] = [:]
        for (name, value) in headers { grouped[name, default: []].append(trimAll(value)) }
        let names = grouped.keys.sorted(by: bytewise)
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [method.uppercased(), canonicalURI(path), canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        return (text, signedHeaders)
    }

    static func stringToSign(timestamp: String, scope: SigV4Scope, canonicalRequest: String) -> String {
        "\(algorithm)\n\(timestamp)\n\(scope.text)\n\(SHA256.hexDigest(of: Array(canonicalRequest.utf8)))"
    }

    /// kDate = HMAC("AWS4" + secret, date), kRegion, kService, kSigning = HMAC(kService, "aws4_request");
    /// the signature is HMAC(kSigning, string to sign) in lower-case hex.
    static func signature(stringToSign: String, secretKey: String, scope: SigV4Scope) -> String {
        var key = Array("AWS4\(secretKey)".utf8)
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = HMACSHA256.authenticationCode(for: part, key: key)
        }
        return hex(HMACSHA256.authenticationCode(for: stringToSign, key: key))
    }

    /// The wire path with dot segments and empty segments removed (botocore's
    /// `remove_dot_segments`), then encoded once more, `/` kept.
    static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." { _ = segments.popLast() } else { segments.append(segment) }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        return encode(leading + segments.joined(separator: "/") + trailing, keepingSlash: true)
    }

    /// Names and values encoded, sorted by name, then by value, as bytes.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (encode($0.0, keepingSlash: false), encode($0.1, keepingSlash: false)) }
            .sorted { bytewise($0.0, $1.0) || ($0.0 == $1.0 && bytewise($0.1, $1.1)) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Leading and trailing whitespace removed, inner runs made one space (Python's
    /// `' '.join(value.split())`, botocore's Trimall).
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
            .joined(separator: " ")
    }

    static func encode(_ text: String, keepingSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    /// Python's ordering of strings (code points); for the ASCII that canonical forms hold, bytes.
    static func bytewise(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

/// `20150830T123600Z` (ISO 8601 basic, UTC) to and from seconds, by the civil-calendar
/// arithmetic of Howard Hinnant's `days_from_civil`, so no formatter or time zone is loaded.
enum SigV4Time {
    static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let (year, month, day) = civil(days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)\(two(month))\(two(day))T\(two(second / 3600))\(two(second / 60 % 60))\(two(second % 60))Z"
    }

    /// Seconds since 1970 of a `YYYYMMDDTHHMMSSZ` stamp; nil if it is not one.
    static func seconds(_ stamp: String) -> Int64? {
        let bytes = Array(stamp.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
              let minute = number(11..<13), let second = number(13..<15),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
