/// Reads HTTP/1.1 messages from a blocking `ByteStream`, one after another on one connection:
/// bytes past a message stay buffered for the next (keep-alive and pipelining).
public final class HTTPReader {
    private let stream: any ByteStream
    private var buffer = ReadBuffer()
    private var parser: HTTPParser

    public init(_ stream: any ByteStream, limits: HTTPLimits = HTTPLimits()) {
        self.stream = stream
        parser = HTTPParser(limits: limits)
    }

    /// Bytes received but not yet consumed (a pipelined next message).
    public var hasBufferedBytes: Bool { !buffer.isEmpty }

    /// The next request, or nil when the peer closed cleanly between requests. `expectContinue`
    /// runs when the client waits for `100 Continue` before sending its body.
    public func readRequest(expectContinue: () throws -> Void = {}) throws -> HTTPRequest? {
        while true {
            switch try parser.nextRequest(&buffer) {
            case .message(let request): return request
            case .expectsContinue: try expectContinue()
            case .needMore:
                guard try fill() else {
                    if parser.isMidMessage(buffer) { throw HTTPError.truncated }
                    return nil
                }
            }
        }
    }

    /// The next final response (interim 1xx responses are skipped).
    public func readResponse() throws -> HTTPResponse {
        while true {
            if let response = try parser.nextResponse(&buffer) { return response }
            guard try fill() else {
                if let response = try parser.finish(&buffer) { return response }
                throw HTTPError.truncated
            }
        }
    }

    private func fill() throws -> Bool {
        try buffer.append { try stream.read(into: $0) } > 0
    }
}
