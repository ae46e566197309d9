import Glibc

/// Reads HTTP/1.1 messages from one socket: request or status line, headers, and a body framed by
/// Content-Length or chunked transfer coding. Bytes past one message stay buffered for the next
/// (keep-alive and pipelining).
public final class HTTPReader {
    private let socket: Socket
    private let limits: HTTPLimits
    private var buffer: [UInt8] = []
    private var start = 0
    /// Reused for every receive: one allocation per connection, not per read.
    private var chunk = [UInt8](repeating: 0, count: 16_384)
    /// Event-driven use: never block; a message not yet complete throws `wouldBlock` and is parsed
    /// again from its first byte when more has arrived.
    public var nonBlocking = false
    private var continueSent = false

    /// Thrown in `nonBlocking` mode when the next message is not complete yet.
    public struct WouldBlock: Error {}

    /// Bytes received but not yet consumed (a pipelined next request).
    public var hasBufferedBytes: Bool { start < buffer.count }

    public init(socket: Socket, limits: HTTPLimits = HTTPLimits()) {
        self.socket = socket
        self.limits = limits
        buffer.reserveCapacity(4096)
    }

    private var available: Int { buffer.count - start }

    /// Reads more bytes. Between messages it waits as long as it takes; in the middle of one, a
    /// stalled peer gets `stallTimeoutMs` (so a slow-loris client cannot hold a thread forever).
    private func fill(midMessage: Bool) throws -> Bool {
        if nonBlocking {
            do {
                let count = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0, waiting: false) }
                if count == 0 { return false }
                buffer.append(contentsOf: chunk[0..<count])
                return true
            } catch let error as SocketError where error.code == EAGAIN || error.code == EWOULDBLOCK {
                throw WouldBlock()
            }
        }
        if midMessage {
            var pollfd = Glibc.pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            var ready: Int32
            repeat { ready = poll(&pollfd, 1, limits.stallTimeoutMs) } while ready < 0 && errno == EINTR
            if ready == 0 { throw HTTPError.truncated }
        }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            buffer.removeFirst(start)
            start = 0
        }
        let count = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
        if count == 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// The head of the next message — its start line and its header fields — or nil on a clean
    /// close before it. Parsed at the byte level: `Character` iteration (grapheme breaking) would
    /// cost more than the rest of an invocation's path.
    private func readHead() throws -> (startLine: String, headers: HTTPHeaders)? {
        var scanned = 0
        while true {
            if let end = headEnd(from: scanned) {
                guard end.lineBreak - start <= limits.maxHeadBytes else { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
                let head = try parseHead(buffer[start..<end.lineBreak])
                start = end.next
                return head
            }
            scanned = max(0, available - 3)
            if available > limits.maxHeadBytes { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
            let midMessage = available > 0
            if try !fill(midMessage: midMessage) {
                if midMessage { throw HTTPError.truncated }
                return nil
            }
        }
    }

    private func parseHead(_ bytes: ArraySlice<UInt8>) throws -> (startLine: String, headers: HTTPHeaders) {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)[...].map { line in
            line.last == 0x0D ? line.dropLast() : line
        }[...]
        let startLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPError.malformed("header line without a colon") }
            let name = line[..<colon]
            // Also rejects obsolete line folding (a line starting with a space).
            guard !name.isEmpty, name.allSatisfy(HTTPReader.isTokenByte) else { throw HTTPError.malformed("invalid header name") }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return (startLine, headers)
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

    /// Finds the blank line that ends a head. Accepts bare LF line ends too (RFC 9112 §2.2).
    private func headEnd(from offset: Int) -> (lineBreak: Int, next: Int)? {
        var i = start + offset
        // Skip blank lines before a request line (RFC 9112 §2.2 allows one; be lenient).
        while i == start, i < buffer.count, buffer[i] == 0x0D || buffer[i] == 0x0A { i += 1; start = i }
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    private enum Framing { case none, length(Int), chunked, untilClose }

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
                  let value = values.first, !value.isEmpty, value.allSatisfy(\.isASCIIDigit), let length = Int(value)
            else { throw HTTPError.malformed("invalid Content-Length") }
            guard length <= limits.maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
            return .length(length)
        }
        return isRequest ? .none : .untilClose
    }

    private func readBody(_ framing: Framing) throws -> [UInt8] {
        switch framing {
        case .none: return []
        case .length(let length): return try take(length)
        case .chunked: return try readChunked()
        case .untilClose:
            while try fill(midMessage: false) {
                if available > limits.maxBodyBytes { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
            }
            return try take(available)
        }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while available < count {
            if try !fill(midMessage: true) { throw HTTPError.truncated }
        }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }

    private func readLine() throws -> Substring {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line.hasSuffix("\r") ? Substring(line.dropLast()) : Substring(line)
            }
            if available > limits.maxHeadBytes { throw HTTPError.malformed("chunk line too long") }
            if try !fill(midMessage: true) { throw HTTPError.truncated }
        }
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeText = try readLine().split(separator: ";", maxSplits: 1).first?.trimmingSpaces ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16) else {
                throw HTTPError.malformed("invalid chunk size")
            }
            if size == 0 {
                while try !readLine().isEmpty {}   // trailer fields, ignored
                return body
            }
            guard body.count + size <= limits.maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: limits.maxBodyBytes) }
            body += try take(size)
            guard try readLine().isEmpty else { throw HTTPError.malformed("chunk not followed by CRLF") }
        }
    }

    /// The next request, or nil when the peer closed cleanly between requests.
    /// `expectContinue` runs when the client waits for `100 Continue` before sending its body.
    public func readRequest(expectContinue: () throws -> Void = {}) throws -> HTTPRequest? {
        guard nonBlocking else { return try readRequestOnce(expectContinue: expectContinue) }
        // Transactional: drop what earlier messages consumed, then parse from the first byte again
        // until the whole message is there.
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        do {
            return try readRequestOnce(expectContinue: expectContinue)
        } catch let error as WouldBlock {
            start = 0
            throw error
        }
    }

    private func readRequestOnce(expectContinue: () throws -> Void) throws -> HTTPRequest? {
        guard let head = try readHead() else { return nil }
        let parts = Array(head.startLine.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(HTTPReader.isTokenByte),
              parts[1].first == UInt8(ascii: "/") || parts[1].elementsEqual([UInt8(ascii: "*")]),
              parts[1].allSatisfy({ $0 > 32 && $0 < 127 })
        else { throw HTTPError.malformed("invalid request line") }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw HTTPError.malformed("unsupported version \(version.prefix(16))") }
        var request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
                                  headers: head.headers)
        request.version = version
        let framing = try framing(request.headers, isRequest: true)
        if request.headers["Expect"]?.lowercased() == "100-continue" {
            if case .none = framing {} else if !continueSent {
                continueSent = true   // once per message, however often a non-blocking parse restarts
                try expectContinue()
            }
        }
        request.body = try readBody(framing)
        continueSent = false
        return request
    }

    /// The next final response (interim 1xx responses are skipped).
    public func readResponse() throws -> HTTPResponse {
        while true {
            guard let head = try readHead() else { throw HTTPError.truncated }
            let parts = head.startLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100..<600).contains(status) else {
                throw HTTPError.malformed("invalid status line")
            }
            let headers = head.headers
            if (100..<200).contains(status) { continue }
            let noBody = status == 204 || status == 304
            let body = noBody ? [] : try readBody(framing(headers, isRequest: false))
            return HTTPResponse(status: status, headers: headers, body: body)
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return Substring(s[first...last])
    }
}
