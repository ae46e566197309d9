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

    /// A message's head: its start line's parts and its header fields.
    private struct Head: Sendable {
        var method = ""
        var target = ""
        var version = ""
        var status = 0
        var headers = HTTPHeaders()
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
            guard let head = try readHead(&buffer, isRequest: true) else { return .needMore }
            let framing = try framing(head.headers, isRequest: true)
            try begin(head, framing)
            if !continueReported, !Self.isEmpty(framing), head.headers["Expect"]?.lowercased() == "100-continue" {
                continueReported = true
                return .expectsContinue
            }
        }
        guard let (head, body) = try readBody(&buffer) else { return .needMore }
        continueReported = false
        var request = HTTPRequest(method: head.method, target: head.target, headers: head.headers, body: body)
        request.version = head.version
        return .message(request)
    }

    // MARK: Responses

    /// The next final response (interim 1xx responses are skipped).
    public mutating func nextResponse(_ buffer: inout ReadBuffer) throws -> HTTPResponse? {
        while true {
            if case .head = state {
                guard let head = try readHead(&buffer, isRequest: false) else { return nil }
                if (100..<200).contains(head.status) { continue }
                if head.status == 204 || head.status == 304 {
                    return HTTPResponse(status: head.status, headers: head.headers)
                }
                try begin(head, try framing(head.headers, isRequest: false))
            }
            guard let (head, body) = try readBody(&buffer) else { return nil }
            return HTTPResponse(status: head.status, headers: head.headers, body: body)
        }
    }

    /// The peer closed: a response framed by the close is complete now; anything else half-read
    /// was cut short.
    public mutating func finish(_ buffer: inout ReadBuffer) throws -> HTTPResponse? {
        switch state {
        case .untilClose(let head):
            state = .head(scanned: 0)
            return HTTPResponse(status: head.status, headers: head.headers, body: buffer.take(buffer.count))
        case .head where buffer.isEmpty:
            return nil
        default:
            throw HTTPError.truncated
        }
    }

    // MARK: Heads

    private mutating func readHead(_ buffer: inout ReadBuffer, isRequest: Bool) throws -> Head? {
        guard case .head(var scanned) = state else { return nil }
        // Blank lines before a request line are skipped (RFC 9112 §2.2 allows one; be lenient).
        while scanned == 0, !buffer.isEmpty, buffer[0] == 0x0D || buffer[0] == 0x0A { buffer.consume(1) }
        while let newline = buffer.firstIndex(of: 0x0A, from: scanned) {
            // A blank line: LF LF, or LF CR LF.
            if newline + 1 < buffer.count, buffer[newline + 1] == 0x0A {
                return try takeHead(&buffer, lineBreak: newline, next: newline + 2, isRequest: isRequest)
            }
            if newline + 2 < buffer.count, buffer[newline + 1] == 0x0D, buffer[newline + 2] == 0x0A {
                return try takeHead(&buffer, lineBreak: newline, next: newline + 3, isRequest: isRequest)
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

    private mutating func takeHead(_ buffer: inout ReadBuffer, lineBreak: Int, next: Int, isRequest: Bool) throws -> Head {
        guard lineBreak <= limits.maxHeadBytes else { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
        let head = try buffer.withBytes(0..<lineBreak) { try Self.parseHead($0, isRequest: isRequest) }
        buffer.consume(next)
        state = .head(scanned: 0)
        return head
    }

    /// The start line and the header fields, read byte by byte: splitting into arrays of lines and
    /// decoding whole strings cost more than the rest of an invocation's path.
    private static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>, isRequest: Bool) throws -> Head {
        var head = Head()
        var lineStart = 0
        var first = true
        while lineStart <= bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            if first {
                if isRequest { try requestLine(line, into: &head) } else { head.status = try statusLine(line) }
                first = false
            } else if !line.isEmpty {
                try headerLine(line, into: &head.headers)
            }
            lineStart = next
        }
        return head
    }

    private static func requestLine(_ line: UnsafeBufferPointer<UInt8>, into head: inout Head) throws {
        guard let firstSpace = line.firstIndex(of: 0x20), let secondSpace = line[(firstSpace + 1)...].firstIndex(of: 0x20),
              !line[(secondSpace + 1)...].contains(0x20) else { throw HTTPError.malformed("invalid request line") }
        let method = line[..<firstSpace], target = line[(firstSpace + 1)..<secondSpace], version = line[(secondSpace + 1)...]
        guard !method.isEmpty, method.allSatisfy(isTokenByte),
              target.first == UInt8(ascii: "/") || target.elementsEqual([UInt8(ascii: "*")]),
              target.allSatisfy({ $0 > 32 && $0 < 127 })
        else { throw HTTPError.malformed("invalid request line") }
        if version.elementsEqual("HTTP/1.1".utf8) { head.version = "HTTP/1.1" }
        else if version.elementsEqual("HTTP/1.0".utf8) { head.version = "HTTP/1.0" }
        else { throw HTTPError.malformed("unsupported version \(String(decoding: version.prefix(16), as: UTF8.self))") }
        head.method = String(decoding: UnsafeBufferPointer(rebasing: method), as: UTF8.self)
        head.target = String(decoding: UnsafeBufferPointer(rebasing: target), as: UTF8.self)
    }

    private static func statusLine(_ line: UnsafeBufferPointer<UInt8>) throws -> Int {
        // "HTTP/1.x NNN reason": the three digits after the first space.
        guard line.count >= 12, line[..<7].elementsEqual("HTTP/1.".utf8), line[8] == 0x20,
              line[9...11].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), line.count == 12 || line[12] == 0x20 else {
            throw HTTPError.malformed("invalid status line")
        }
        let status = Int(line[9] - 0x30) * 100 + Int(line[10] - 0x30) * 10 + Int(line[11] - 0x30)
        guard (100..<600).contains(status) else { throw HTTPError.malformed("invalid status line") }
        return status
    }

    private static func headerLine(_ line: UnsafeBufferPointer<UInt8>, into headers: inout HTTPHeaders) throws {
        guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPError.malformed("header line without a colon") }
        // Also refuses obsolete line folding (a line starting with a space).
        guard colon > 0, line[..<colon].allSatisfy(isTokenByte) else { throw HTTPError.malformed("invalid header name") }
        var valueStart = colon + 1, valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        headers.add(String(decoding: UnsafeBufferPointer(rebasing: line[..<colon]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd]), as: UTF8.self))
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
        if lengths.count == 1, let only = lengths.first, !only.isEmpty, only.utf8.count <= 18,
           only.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(only) {
            // The usual case, without splitting anything.
            guard length <= limits.maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
            return .length(length)
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
