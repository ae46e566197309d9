/// One HTTP/1.1 request, body fully read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent: path plus optional `?query`.
    public var target: String
    public var version: String = "HTTP/1.1"
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String, target: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    public var path: String {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target.removingPercentEncodingLossless }
        return String(target[..<question]).removingPercentEncodingLossless
    }

    /// Query parameters, percent-decoded; the last of a repeated name wins.
    public var query: [String: String] {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        let rest = target[target.index(after: question)...]
        guard !rest.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in rest.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0]).removingPercentEncodingLossless
            result[key] = kv.count > 1 ? String(kv[1]).replacingPlus.removingPercentEncodingLossless : ""
        }
        return result
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked to keep it.
    public var keepAlive: Bool {
        guard let connection = headers["Connection"] else { return version != "HTTP/1.0" }
        // A comma-separated list of tokens (RFC 9110 §7.6.1).
        let tokens = connection.lowercased().split(separator: ",").map(\.trimmingSpaces)
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }

    /// The request as bytes on the wire (the client side). Content-Length and Host are always ours.
    public func serialized(host: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + target.utf8.count + body.count)
        out.append(contentsOf: method.utf8)
        out.append(0x20)
        out.append(contentsOf: target.utf8)
        out.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        out.append(contentsOf: host.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers where !name.caseInsensitiveEquals("Content-Length") && !name.caseInsensitiveEquals("Host") {
            HTTPHeaders.write(name, value, into: &out)
        }
        out.append(contentsOf: "Content-Length: ".utf8)
        out.append(contentsOf: String(body.count).utf8)
        out.append(contentsOf: "\r\n\r\n".utf8)
        out.append(contentsOf: body)
        return out
    }
}

/// One HTTP/1.1 response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The response as bytes on the wire. Content-Length is always ours: callers never set it.
    public func serialized(keepAlive: Bool) -> [UInt8] {
        var out: [UInt8] = []
        serialize(keepAlive: keepAlive, into: &out)
        return out
    }

    /// Appends the response's bytes to `out`, written straight into it (no intermediate string).
    public func serialize(keepAlive: Bool, into out: inout [UInt8]) {
        let hasBody = status != 204 && status != 304 && !(100..<200).contains(status)
        out.reserveCapacity(out.count + 160 + (hasBody ? body.count : 0))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(0x20)
        out.append(contentsOf: HTTPResponse.reason(status).utf8)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers where !name.caseInsensitiveEquals("Content-Length") && !name.caseInsensitiveEquals("Connection") {
            HTTPHeaders.write(name, value, into: &out)
        }
        if hasBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(body.count).utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: (keepAlive ? "\r\n" : "Connection: close\r\n\r\n").utf8)
        if hasBody { out.append(contentsOf: body) }
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 203: "Non-Authoritative Information"
        case 204: "No Content"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

extension String {
    var replacingPlus: String { split(separator: "+", omittingEmptySubsequences: false).joined(separator: " ") }

    /// Percent-decoding that keeps malformed escapes as they are instead of failing.
    var removingPercentEncodingLossless: String {
        guard utf8.contains(UInt8(ascii: "%")) else { return self }
        var bytes: [UInt8] = []
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
