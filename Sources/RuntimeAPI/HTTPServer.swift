import Dispatch
import Glibc
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1, one thread per connection.
///
/// Why threads and blocking I/O: a Runtime API `GET /next` and a synchronous Invoke both *wait*
/// (for an event, for a function's answer). Parking a dedicated thread is the simplest correct way
/// to wait, it never starves Swift's cooperative pool (two threads on a 2-core machine), and it is
/// the closest thing to the warm-invoke floor, which is measured by the benchmark on the same
/// machine (`swift run -c release bench`), not quoted. Connections are few (one per environment,
/// one per concurrent caller), so a thread each is cheap.
public final class HTTPServer: Sendable {
    /// Runs on the connection's own thread; it may block until it has an answer.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Answers now or later, from any thread, by calling `respond` once; the connection thread
    /// meanwhile goes back to reading. For protocols whose client waits for each answer before its
    /// next request (the Runtime API's long-polled `GET /next`), this answers a parked request
    /// without waking a thread to do it.
    public typealias DeferringHandler = @Sendable (HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void
    /// Turns a request we could not read into the response to send before closing.
    public typealias ErrorResponder = @Sendable (HTTPError) -> HTTPResponse

    public let port: UInt16
    private let listener: Socket
    private let limits: HTTPLimits
    private let handler: DeferringHandler
    private let errorResponder: ErrorResponder
    private let name: String
    private let state = Mutex(State())
    private let starved = Atomic<Bool>(false)
    private let reset = Atomic<Bool>(false)
    private let unsent = Atomic<Bool>(false)

    /// Whether a peer ever reset its connection. A process that dies with unread data in its socket
    /// resets the connection instead of closing it: for a runtime, the event it was sent was never read.
    public var sawConnectionReset: Bool { reset.load(ordering: .relaxed) }

    /// Whether an answer was ever held back because its peer had already closed the connection
    /// (before the connection's own thread noticed), or failed to be written: for a runtime, the
    /// event never reached it.
    public var heldBackAnswer: Bool { unsent.load(ordering: .relaxed) }

    /// When a connection last ended (peer closed or reset).
    public var lastConnectionEnd: ContinuousClock.Instant? { lastEnd.withLock { $0 } }
    private let lastEnd = Mutex<ContinuousClock.Instant?>(nil)

    /// When an answer was last written (just before the write). With `lastConnectionEnd` it tells
    /// whether an answer can have reached its peer: only if written while the connection was open.
    public var lastAnswerWrite: ContinuousClock.Instant? { lastWrite.withLock { $0 } }
    private let lastWrite = Mutex<ContinuousClock.Instant?>(nil)

    /// Connections being served now.
    public var openConnections: Int { state.withLock { $0.connections.count } }

    /// Entered for each connection while it is served, so a caller can wait for them to end.
    private let serving = DispatchGroup()

    /// Waits until every connection has ended; false if one is still served after `milliseconds`.
    public func waitUntilNoConnections(milliseconds: Int) -> Bool {
        serving.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
    }

    /// Whether accepting a connection ever failed for lack of descriptors: then a peer that never
    /// got through was the server's fault, not the peer's.
    public var wasStarved: Bool { starved.load(ordering: .relaxed) }

    private struct State {
        var stopped = false
        var connections: [Int32: Socket] = [:]
    }

    /// Binds at once, so `port` is known before `start()` (port 0 = any free port).
    public convenience init(name: String, port: UInt16 = 0, limits: HTTPLimits = HTTPLimits(),
                            errorResponder: @escaping ErrorResponder = HTTPServer.plainError,
                            handler: @escaping Handler) throws {
        try self.init(name: name, port: port, limits: limits, errorResponder: errorResponder,
                      deferringHandler: { request, respond in respond(handler(request)) })
    }

    public init(name: String, port: UInt16 = 0, limits: HTTPLimits = HTTPLimits(),
                errorResponder: @escaping ErrorResponder = HTTPServer.plainError,
                deferringHandler: @escaping DeferringHandler) throws {
        self.name = name
        self.listener = try Socket.listen(port: port)
        self.port = listener.localPort
        self.limits = limits
        self.handler = deferringHandler
        self.errorResponder = errorResponder
    }

    public static let plainError: ErrorResponder = { error in
        .json(error.status, #"{"errorType":"BadRequest","errorMessage":"\#(error.description)"}"#)
    }

    public func start() {
        AcceptLoop.start(listener, name: name, isStopped: { [self] in isStopped }, onStarved: { [self] in starved.store(true, ordering: .relaxed) },
                         admit: { [self] connection in
            // An event is written to a parked runtime from whichever thread assigns it (the Invoke
            // API's loop, too): a runtime that stops reading must not hold that thread for ever.
            connection.setSendTimeout(seconds: 5)
            let admitted = state.withLock { state -> Bool in
                if state.stopped { return false }
                state.connections[connection.fd] = connection
                return true
            }
            if admitted { serving.enter() }
            return admitted
        }, serve: { [self] connection in
            serve(connection)
            serving.leave()
        })
    }

    /// Serves requests on one connection until the peer closes or sends something unreadable.
    /// One bad connection never takes the server down: every failure ends here.
    private func serve(_ connection: Socket) {
        defer {
            lastEnd.withLock { $0 = .now }
            state.withLock { _ = $0.connections.removeValue(forKey: connection.fd) }
        }
        let reader = HTTPReader(socket: connection, limits: limits)
        // One writer at a time on this connection, whichever thread answers.
        let writeLock = Mutex(())
        let handling = HandlerTurn()
        let connectionThread = pthread_self()
        while true {
            let request: HTTPRequest
            do {
                guard let next = try reader.readRequest(expectContinue: {
                    try connection.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }) else {
                    // The peer closed. If it did so before an answer reached it (a runtime killed
                    // while parked, or whose `next` was read late), the answer brings a reset in a moment: wait for it. On a
                    // loaded machine loopback packets can take milliseconds to be processed, hence
                    // 100 ms; only a runtime that took its event and then died waits it all out.
                    if handling.answerSent.load(ordering: .sequentiallyConsistent), connection.resetFollows(withinMilliseconds: 100) {
                        reset.store(true, ordering: .relaxed)
                    }
                    return
                }
                handling.answerSent.store(false, ordering: .relaxed)
                request = next
            } catch let error as HTTPError {
                if error != .truncated {
                    try? connection.send(errorResponder(error).serialized(keepAlive: false))
                    if case .bodyTooLarge = error { connection.lingeringDrain() }
                }
                return
            } catch let error as SocketError where error.code == ECONNRESET || error.code == EPIPE {
                // EPIPE: the reset came after the peer's FIN (Linux reports it so).

                reset.store(true, ordering: .relaxed)
                return
            } catch {
                return
            }
            let keepAlive = request.keepAlive
            handling.active.store(true, ordering: .relaxed)
            handler(request) { [self] response in
                let open = keepAlive && !isStopped
                // Immediate: given on this connection's own thread, inside the handler. Any other
                // answer is deferred — even one given from another thread while the handler runs.
                let deferred = !(handling.active.load(ordering: .relaxed) && pthread_equal(pthread_self(), connectionThread) != 0)
                // A deferred answer may come long after the request: the peer may be gone by then.
                if deferred, connection.peerHasClosed {
                    unsent.store(true, ordering: .relaxed)
                    return connection.shutdown()
                }
                // Marked before the write: the reader may see the peer's end the instant the write
                // is done, and must know then that an answer went out into it.
                // Any answer: an immediate one too may go to a peer that died just after asking (a
                // runtime's `next` read late, on a loaded machine, after the runtime was killed).
                handling.answerSent.store(true, ordering: .sequentiallyConsistent)
                lastWrite.withLock { $0 = .now }
                let sent = writeLock.withLock { _ in (try? connection.send(response.serialized(keepAlive: open))) != nil }
                // A write that failed (the peer had reset) did not deliver the answer either; and its
                // error was the reset, which the reader will not see again.
                if !sent { unsent.store(true, ordering: .relaxed) }
                if !sent || !open { connection.shutdown() }
            }
            handling.active.store(false, ordering: .relaxed)
            if !keepAlive { return }
        }
    }

    /// Whether the connection's thread is inside the handler: an answer it gives then is immediate,
    /// any other is deferred (and its peer may have gone meanwhile).
    private final class HandlerTurn: Sendable {
        let active = Atomic<Bool>(false)
        /// An answer was written since the last request was read.
        let answerSent = Atomic<Bool>(false)
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Stops accepting and wakes every connection thread blocked on a read. Handlers that are
    /// blocked waiting for something else must be released by whoever they wait on.
    public func stop() {
        let connections = state.withLock { state -> [Socket] in
            state.stopped = true
            return Array(state.connections.values)
        }
        listener.shutdown()
        for connection in connections { connection.shutdown() }
    }
}
