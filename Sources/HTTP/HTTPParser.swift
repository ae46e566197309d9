/// HTTP/1.1 messages read from a `ReadBuffer`, without doing any I/O: whoever owns the bytes — an
/// event loop's non-blocking socket, a blocking socket, a TLS connection — appends them, and asks
/// for the next request or response. A message that has not fully arrived is remembered where it
/// stopped (its head parsed, how much body is left), so bytes are scanned once however they are cut.
///
/// What it accepts and refuses follows RFC 9112: request or status line, header fields, a body
/// framed by Content-Length or chunked transfer coding (or, for a response, the end of the
/// connection). Both framings at once is refused (request smuggling), as are obsolete line folding,
/// invalid names, and anything over `HTTPLimits`.
public struct HTTPParser: Sendable {
    public let limits: HTTPLimits

    /// What `nextRequest` found.
    public enum Progress<Message: Sendable>: Sendable {
        case message(Message)
        /// The head is in and asks for `100 Continue` before the body is sent (reported once).
        case expectsContinue
        /// More bytes are needed.
        case needMore
    }

    private struct Head: Sendable {
        var startLine: String
        var headers: HTTPHeaders
    }

    private enum State: Sendable {
        /// Looking for the blank line that ends a head; `scanned` bytes have no end in them.
        case head(scanned: Int)
        case body(Head, length: Int)
        /// Chunked: `body` so far; waiting for a chunk-size line at `offset`.
        case chunkSize(Head, body: [UInt8], offset: Int)
        case chunkData(Head, body: [UInt8], size: Int, offset: Int)
        case trailers(Head, body: [UInt8], offset: Int)
        /// A response without framing: its body is everything until the peer closes.
        case untilClose(Head)
    }

    private var state = State.head(scanned: 0)
    private var continueReported = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Whether a message has begun and not ended (a close now would cut it).
    public func isMidMessage(_ buffer: ReadBuffer) -> Bool {
        if case .head = state { return !buffer.isEmpty }
        return true
    }

    // MARK: Requests

    public mutating func nextRequest(_ buffer: inout ReadBuffer) throws -> Progress<HTTPRequest> {
        if case .head = state {
            guard let head = try readHead(&buffer) else { return .needMore }
            let request = try Self.request(head)
            let framing = try framing(head.headers, isRequest: true)
            try begin(head, framing)
            if request.headers["Expect"]?.lowercased() == "100-continue", !continueReported, !Self.isEmpty(framing) {
                continueReported = true
                return .expectsContinue
            }
        }
        guard let (head, body) = try readBody(&buffer) else { return .needMore }
        continueReported = false
        var request = try Self.request(head)
        request.body = body
        return .message(request)
    }

    // MARK: Responses

    /// The next final response (interim 1xx responses are skipped).
    public mutating func nextResponse(_ buffer: inout ReadBuffer) throws -> HTTPResponse? {
        while true {
            if case .head = state {
                guard let head = try readHead(&buffer) else { return nil }
                let status = try Self.status(head)
                if (100..<200).contains(status) { continue }
                if status == 204 || status == 304 {
                    return HTTPResponse(status: status, headers: head.headers)
                }
                try begin(head, try framing(head.headers, isRequest: false))
            }
            guard let (head, body) = try readBody(&buffer) else { return nil }
            return HTTPResponse(status: try Self.status(head), headers: head.headers, body: body)
        }
    }

    /// The peer closed: a response framed by the close is complete now; anything else half-read
    /// was cut short.
    public mutating func finish(_ buffer: inout ReadBuffer) throws -> HTTPResponse? {
        switch state {
        case .untilClose(let head):
            state = .head(scanned: 0)
            return HTTPResponse(status: try Self.status(head), headers: head.headers, body: buffer.take(buffer.count))
        case .head where buffer.isEmpty:
            return nil
        default:
            throw HTTPError.truncated
        }
    }

    // MARK: Heads

    private mutating func readHead(_ buffer: inout ReadBuffer) throws -> Head? {
        guard case .head(var scanned) = state else { return nil }
        // Blank lines before a request line are skipped (RFC 9112 §2.2 allows one; be lenient).
        while scanned == 0, !buffer.isEmpty, buffer[0] == 0x0D || buffer[0] == 0x0A { buffer.consume(1) }
        while let newline = buffer.firstIndex(of: 0x0A, from: scanned) {
            // A blank line: LF LF, or LF CR LF.
            if newline + 1 < buffer.count, buffer[newline + 1] == 0x0A {
                return try takeHead(&buffer, lineBreak: newline, next: newline + 2)
            }
            if newline + 2 < buffer.count, buffer[newline + 1] == 0x0D, buffer[newline + 2] == 0x0A {
                return try takeHead(&buffer, lineBreak: newline, next: newline + 3)
            }
            if newline + 2 >= buffer.count {
                // The rest of a possible blank line has not arrived: look here again next time.
                scanned = newline
                break
            }
            scanned = newline + 1
        }
        if buffer.firstIndex(of: 0x0A, from: scanned) == nil { scanned = buffer.count }
        if buffer.count > limits.maxHeadBytes { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
        state = .head(scanned: scanned)
        return nil
    }

    private mutating func takeHead(_ buffer: inout ReadBuffer, lineBreak: Int, next: Int) throws -> Head {
        guard lineBreak <= limits.maxHeadBytes else { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
        let head = try Self.parseHead(buffer.bytes(0..<lineBreak))
        buffer.consume(next)
        state = .head(scanned: 0)
        return head
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>) throws -> Head {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)[...]
        func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> { line.last == 0x0D ? line.dropLast() : line }
        let startLine = String(decoding: trimmed(lines.removeFirst()), as: UTF8.self)
        var headers = HTTPHeaders()
        for raw in lines {
            let line = trimmed(raw)
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPError.malformed("header line without a colon") }
            let name = line[..<colon]
            // Also refuses obsolete line folding (a line starting with a space).
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw HTTPError.malformed("invalid header name") }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return Head(startLine: startLine, headers: headers)
    }

    private static func request(_ head: Head) throws -> HTTPRequest {
        let parts = Array(head.startLine.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte),
              parts[1].first == UInt8(ascii: "/") || parts[1].elementsEqual([UInt8(ascii: "*")]),
              parts[1].allSatisfy({ $0 > 32 && $0 < 127 })
        else { throw HTTPError.malformed("invalid request line") }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw HTTPError.malformed("unsupported version \(version.prefix(16))") }
        var request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
                                  headers: head.headers)
        request.version = version
        return request
    }

    private static func status(_ head: Head) throws -> Int {
        let parts = head.startLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100..<600).contains(status) else {
            throw HTTPError.malformed("invalid status line")
        }
        return status
    }

    /// RFC 9110 token characters (method and header names).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        guard byte > 32, byte < 127 else { return false }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: ":"),
             UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "?"), UInt8(ascii: "@"),
             UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            return false
        default:
            return true
        }
    }

    // MARK: Bodies

    private enum Framing { case none, length(Int), chunked, untilClose }

    private static func isEmpty(_ framing: Framing) -> Bool {
        switch framing {
        case .none, .length(0): true
        default: false
        }
    }

    private func framing(_ headers: HTTPHeaders, isRequest: Bool) throws -> Framing {
        let encodings = headers.values("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        if !encodings.isEmpty {
            // Both framings at once is how request smuggling starts: refuse it.
            guard lengths.isEmpty else { throw HTTPError.malformed("both Transfer-Encoding and Content-Length") }
            guard encodings.joined(separator: ",").lowercased().split(separator: ",").last?.trimmingSpaces == "chunked" else {
                throw HTTPError.malformed("unsupported Transfer-Encoding")
            }
            return .chunked
        }
        if let first = lengths.first {
            let values = Set(lengths.flatMap { $0.split(separator: ",").map { String($0.trimmingSpaces) } })
            guard values.count == 1, first.utf8.count <= 18,
                  let value = values.first, !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(value)
            else { throw HTTPError.malformed("invalid Content-Length") }
            guard length <= limits.maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
            return .length(length)
        }
        return isRequest ? .none : .untilClose
    }

    private mutating func begin(_ head: Head, _ framing: Framing) throws {
        switch framing {
        case .none: state = .body(head, length: 0)
        case .length(let length): state = .body(head, length: length)
        case .chunked: state = .chunkSize(head, body: [], offset: 0)
        case .untilClose: state = .untilClose(head)
        }
    }

    /// The head and the whole body, once they are in; nil while bytes are missing.
    private mutating func readBody(_ buffer: inout ReadBuffer) throws -> (Head, [UInt8])? {
        while true {
            switch state {
            case .head:
                return nil
            case .body(let head, let length):
                guard buffer.count >= length else { return nil }
                state = .head(scanned: 0)
                return (head, length == 0 ? [] : buffer.take(length))
            case .untilClose:
                if buffer.count > limits.maxBodyBytes { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
                return nil
            case .chunkSize(let head, let body, let offset):
                guard let line = try line(&buffer, at: offset) else { return nil }
                let sizeText = line.text.split(separator: ";", maxSplits: 1).first?.trimmingSpaces ?? ""
                guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16) else {
                    throw HTTPError.malformed("invalid chunk size")
                }
                if size == 0 {
                    state = .trailers(head, body: body, offset: line.next)
                    continue
                }
                guard body.count + size <= limits.maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
                state = .chunkData(head, body: body, size: size, offset: line.next)
            case .chunkData(let head, var body, let size, let offset):
                // The chunk and the line break after it.
                guard buffer.count >= offset + size + 1, let line = try line(&buffer, at: offset + size) else { return nil }
                guard line.text.isEmpty else { throw HTTPError.malformed("chunk not followed by CRLF") }
                // The state lets go of the body first, so appending does not copy what came before.
                state = .head(scanned: 0)
                body.append(contentsOf: buffer.bytes(offset..<(offset + size)))
                // Consumed now, so a long chunked body is not held twice.
                buffer.consume(line.next)
                state = .chunkSize(head, body: body, offset: 0)
            case .trailers(let head, let body, var offset):
                // Trailer fields are read and ignored, up to the blank line.
                while true {
                    guard let line = try line(&buffer, at: offset) else {
                        state = .trailers(head, body: body, offset: offset)
                        return nil
                    }
                    offset = line.next
                    if line.text.isEmpty { break }
                }
                buffer.consume(offset)
                state = .head(scanned: 0)
                return (head, body)
            }
        }
    }

    /// The line starting at `offset` (its CR removed) and where the next one starts.
    private func line(_ buffer: inout ReadBuffer, at offset: Int) throws -> (text: Substring, next: Int)? {
        guard let newline = buffer.firstIndex(of: 0x0A, from: offset) else {
            if buffer.count - offset > limits.maxHeadBytes { throw HTTPError.malformed("chunk line too long") }
            return nil
        }
        var text = String(decoding: buffer.bytes(offset..<newline), as: UTF8.self)[...]
        if text.hasSuffix("\r") { text = text.dropLast() }
        return (text, newline + 1)
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return Substring(s[first...last])
    }
}
