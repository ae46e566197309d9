import RuntimeAPI

/// Reads HTTP/1.1 responses from a TLS connection: status line, headers, and a body framed by
/// Content-Length, chunked coding, or the end of the connection. (RuntimeAPI's `HTTPReader` reads
/// from a plain socket only; this is its client half, for decrypted bytes.)
final class TLSResponseReader {
    private let connection: TLSConnection
    private let maxHeadBytes = 64 * 1024
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var chunk = [UInt8](repeating: 0, count: 16_384)

    init(connection: TLSConnection, maxBodyBytes: Int) {
        self.connection = connection
        self.maxBodyBytes = maxBodyBytes
    }

    private var available: Int { buffer.count - start }

    private func fill() throws -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let count = try chunk.withUnsafeMutableBytes { try connection.read(into: $0) }
        buffer.append(contentsOf: chunk[0..<count])
        return count > 0
    }

    /// The next final response (1xx interim responses skipped). `TLSError.closed` when the server
    /// closed before its first byte — a kept-alive connection it had dropped.
    func readResponse() throws -> HTTPResponse {
        var first = true
        while true {
            let (statusLine, headers) = try readHead(first: first)
            first = false
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100..<600).contains(status) else {
                throw HTTPError.malformed("invalid status line")
            }
            if (100..<200).contains(status) { continue }
            let body = status == 204 || status == 304 ? [] : try readBody(headers)
            return HTTPResponse(status: status, headers: headers, body: body)
        }
    }

    private func readHead(first: Bool) throws -> (String, HTTPHeaders) {
        var lines: [String] = []
        while true {
            let line = try readLine(noBytesYet: first && lines.isEmpty)
            if line.isEmpty {
                if lines.isEmpty { continue }   // stray blank lines before a status line
                break
            }
            lines.append(line)
        }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPError.malformed("header line without a colon") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].trimmed(" \t")))
        }
        return (lines[0], headers)
    }

    private func readLine(noBytesYet: Bool = false) throws -> String {
        var scanned = 0   // bytes after `start` known to hold no line end (fill moves `start`)
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard available <= maxHeadBytes else { throw HTTPError.headersTooLarge(limit: maxHeadBytes) }
            scanned = available
            if try !fill() { throw noBytesYet && scanned == 0 ? TLSError.closed : HTTPError.truncated }
        }
    }

    private func readBody(_ headers: HTTPHeaders) throws -> [UInt8] {
        if let encoding = headers["Transfer-Encoding"] {
            guard encoding.lowercased().split(separator: ",").last?.trimmed(" ") == "chunked" else {
                throw HTTPError.malformed("unsupported Transfer-Encoding \(encoding)")
            }
            return try readChunked()
        }
        if let text = headers["Content-Length"] {
            guard let length = Int(text.trimmed(" ")), length >= 0 else { throw HTTPError.malformed("invalid Content-Length") }
            guard length <= maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: maxBodyBytes) }
            return try take(length)
        }
        // Neither: the body ends with the connection.
        while try fill() {
            guard available <= maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: maxBodyBytes) }
        }
        return try take(available)
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while available < count {
            if try !fill() { throw HTTPError.truncated }
        }
        defer { start += count }
        return Array(buffer[start..<start + count])
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeText = try readLine().split(separator: ";", maxSplits: 1).first?.trimmed(" \t") ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16) else {
                throw HTTPError.malformed("invalid chunk size")
            }
            if size == 0 {
                while try !readLine().isEmpty {}   // trailer fields, ignored
                return body
            }
            guard body.count + size <= maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: maxBodyBytes) }
            body += try take(size)
            guard try readLine().isEmpty else { throw HTTPError.malformed("chunk not followed by CRLF") }
        }
    }
}

extension StringProtocol {
    /// Without Foundation: this module is linked into a static bootstrap, where every framework
    /// pulled in costs cold-start time.
    func trimmed(_ set: String) -> String {
        let blank = Set(set)
        guard let first = firstIndex(where: { !blank.contains($0) }) else { return "" }
        let last = lastIndex(where: { !blank.contains($0) })!
        return String(self[first...last])
    }
}
