import EventLoop

/// How a handler answers one request: once, on the loop — now, or when what it waits for is done.
/// An answer to a connection that has gone meanwhile is dropped.
public final class HTTPResponder: @unchecked Sendable {
    private let connection: HTTPServerConnection
    private let keepAlive: Bool
    private var answered = false

    init(connection: HTTPServerConnection, keepAlive: Bool) {
        self.connection = connection
        self.keepAlive = keepAlive
    }

    /// The connection's number within its server (as `HTTPServer`'s `connectionEnded` reports it).
    public var connectionID: Int { connection.id }

    /// Whether the client is still there (on the loop).
    public var isConnectionOpen: Bool { !connection.isClosed }

    /// The loop the answer is written on.
    public var loop: EventLoop { connection.server.loop }

    /// Answers (on the loop). A second answer is ignored.
    public func respond(_ response: HTTPResponse) {
        guard !answered else { return }
        answered = true
        connection.answer(response, keepAlive: keepAlive, from: self)
    }

    /// Starts a streamed answer instead (server-sent events, on the loop): the head is written
    /// now, without a length; the body is whatever `HTTPStream.send` writes, until the stream is
    /// finished or the client goes; then the connection closes. Nil if the client has gone.
    public func stream(status: Int = 200, headers: HTTPHeaders) -> HTTPStream? {
        guard !answered, !connection.isClosed else { return nil }
        answered = true
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for field in headers.fields { head += "\(field.name): \(field.value)\r\n" }
        head += "Connection: close\r\n\r\n"
        guard connection.beginStream(Array(head.utf8), from: self) else { return nil }
        return HTTPStream(connection: connection)
    }

    /// Answers from any thread: the answer is written in the loop's next turn.
    public func respondFromAnyThread(_ response: HTTPResponse) {
        let loop = connection.server.loop
        if loop.inEventLoop { return respond(response) }
        loop.execute { [self] in respond(response) }
    }
}

/// A streamed answer's body, written piece by piece on the loop (see `HTTPResponder.stream`).
public final class HTTPStream: @unchecked Sendable {
    private let connection: HTTPServerConnection

    init(connection: HTTPServerConnection) {
        self.connection = connection
    }

    /// The client is still there.
    public var isOpen: Bool { !connection.isClosed }

    /// Writes `bytes` (on the loop). A client that reads too slowly — 16 MB waiting — is cut
    /// off rather than buffered for ever: false then, and whenever the client has gone.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool { connection.streamBody(bytes) }

    /// Ends the answer: the connection closes once what is written has gone out.
    public func finish() { connection.endStream() }
}

