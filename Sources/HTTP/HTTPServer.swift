import EventLoop
import Glibc

/// An HTTP/1.1 server on an `EventLoop`: it accepts connections, reads requests as they arrive,
/// and hands each to `handler` with a `HTTPResponder` that answers it — at once, or later, when
/// whatever it waits for is done (a function's answer, a parked `GET /next`'s event).
///
/// Each connection carries one request at a time: the next request on a connection is read only
/// once the previous one is answered and its answer has been written. So answers never overtake
/// each other, a client that pipelines and never reads its answers holds at most one answer in
/// this server's memory (then it is not read until that drains), and no write ever blocks the loop.
///
/// Everything here runs on the loop's thread; `start` and `stop` must be called there too.
public final class HTTPServer: EventLoop.Handler, @unchecked Sendable {
    /// Called on the loop for each request; it must not block. Answer through the responder,
    /// exactly once, now or later.
    public typealias Handler = (HTTPRequest, HTTPResponder) -> Void
    /// The answer to a request that could not be read, sent before the connection closes.
    public typealias ErrorResponder = @Sendable (HTTPError) -> HTTPResponse

    /// How a connection ended: a clean close (the peer's FIN), or a reset — which a peer's kernel
    /// sends when the process closed the socket with bytes still unread in it.
    public enum Ending: Sendable, Equatable { case closed, reset }

    public let loop: EventLoop
    public let port: UInt16
    let name: String
    let listener: Socket
    let limits: HTTPLimits
    let handler: Handler
    let errorResponder: ErrorResponder
    /// Told when a connection ends (by either side), with its number.
    let connectionEnded: ((Int, Ending) -> Void)?
    /// What a client gets when the process is out of descriptors (see `HTTPServer+Accept.swift`);
    /// nil: clients wait in the backlog until a descriptor is free.
    let overloaded: HTTPResponse?
    /// Accepting ever failed for lack of descriptors: a peer that never got through was the
    /// server's fault, not the peer's.
    public internal(set) var starved = false
    var spare: Int32 = -1
    var connections: [Int32: HTTPServerConnection] = [:]
    var nextConnectionID = 1
    var stopped = false
    var listening = false
    /// One receive buffer for every connection of this server: a connection keeps only the bytes
    /// of a message that has not fully arrived, so an idle connection costs next to nothing.
    var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    public init(loop: EventLoop, listener: Socket, name: String, limits: HTTPLimits = HTTPLimits(),
                errorResponder: @escaping ErrorResponder = HTTPServer.plainError,
                overloaded: HTTPResponse? = .json(503, #"{"errorType":"ServiceUnavailable","errorMessage":"out of file descriptors"}"#),
                connectionEnded: ((Int, Ending) -> Void)? = nil,
                handler: @escaping Handler) {
        self.loop = loop
        self.listener = listener
        self.port = listener.localPort
        self.name = name
        self.limits = limits
        self.errorResponder = errorResponder
        self.overloaded = overloaded
        self.connectionEnded = connectionEnded
        self.handler = handler
    }

    public static let plainError: ErrorResponder = { error in
        .json(error.status, #"{"errorType":"BadRequest","errorMessage":"\#(error.description)"}"#)
    }

    /// Starts accepting (on the loop).
    public func start() throws {
        listener.setNonBlocking()
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try loop.register(listener.fd, events: EventLoop.readable, handler: self)
        listening = true
    }

    /// Stops accepting and ends every connection (on the loop). Requests still waiting for their
    /// answer are not answered: whoever holds their responders must have answered them first.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if listening { loop.deregister(listener.fd) }
        listener.close()
        for connection in Array(connections.values) { connection.close(.closed, notify: false) }
        if spare >= 0 { Glibc.close(spare); spare = -1 }
    }

    public var connectionCount: Int { connections.count }

    /// How connection `id` has ended, looked at in the socket without reading from it: nil while
    /// it is open (or when there is no such connection any more).
    public func ending(ofConnection id: Int) -> Ending? {
        connections.values.first { $0.id == id }?.peekEnding()
    }

    public func ready(_ events: UInt32) {
        acceptAll()
    }

    func forget(_ connection: HTTPServerConnection) {
        connections.removeValue(forKey: connection.socket.fd)
    }
}
