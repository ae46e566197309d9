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

    /// The head (start line + header lines) of the next message, or nil on a clean close before it.
    private func readHead() throws -> [Substring]? {
        var scanned = 0
        while true {
            if let end = headEnd(from: scanned) {
                guard end.lineBreak - start <= limits.maxHeadBytes else { throw HTTPError.headersTooLarge(limit: limits.maxHeadBytes) }
                let head = String(decoding: buffer[start..<end.lineBreak], as: UTF8.self)
                start = end.next
                // In Swift "\r\n" is one Character, so split on either form of line end.
                return head.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.map {
                    $0.hasSuffix("\r") ? $0.dropLast() : $0
                }
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

    private func parseHeaders(_ lines: ArraySlice<Substring>) throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPError.malformed("header line without a colon") }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy(\.isHTTPTokenCharacter) else {
                throw HTTPError.malformed("invalid header name")   // also rejects obsolete line folding
            }
            headers.add(String(name), String(line[line.index(after: colon)...].trimmingSpaces))
        }
        return headers
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
        guard let lines = try readHead() else { return nil }
        let parts = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(\.isHTTPTokenCharacter),
              parts[1].hasPrefix("/") || parts[1] == "*", !parts[1].contains(where: \.isWhitespace)
        else { throw HTTPError.malformed("invalid request line") }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else { throw HTTPError.malformed("unsupported version \(parts[2].prefix(16))") }
        var request = HTTPRequest(method: String(parts[0]), target: String(parts[1]), headers: try parseHeaders(lines.dropFirst()))
        request.version = String(parts[2])
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
            guard let lines = try readHead() else { throw HTTPError.truncated }
            let parts = lines[0].split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100..<600).contains(status) else {
                throw HTTPError.malformed("invalid status line")
            }
            let headers = try parseHeaders(lines.dropFirst())
            if (100..<200).contains(status) { continue }
            let noBody = status == 204 || status == 304
            let body = noBody ? [] : try readBody(framing(headers, isRequest: false))
            return HTTPResponse(status: status, headers: headers, body: body)
        }
    }
}

extension Character {
    /// RFC 9110 token characters (method and header names).
    var isHTTPTokenCharacter: Bool {
        guard let ascii = asciiValue, ascii > 32, ascii < 127 else { return false }
        return !"\"(),/:;<=>?@[\\]{}".contains(self)
    }

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
