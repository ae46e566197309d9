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

    /// Answers from any thread: the answer is written in the loop's next turn.
    public func respondFromAnyThread(_ response: HTTPResponse) {
        let loop = connection.server.loop
        if loop.inEventLoop { return respond(response) }
        loop.execute { [self] in respond(response) }
    }
}
