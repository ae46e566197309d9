import CEpoll
import Dispatch
import Glibc
import Synchronization

/// An HTTP/1.1 server whose requests are read by one event loop (`epoll`) and answered by whoever
/// finishes them, from any thread.
///
/// Why: the Invoke API receives bursts — N requests written microseconds apart. With a thread per
/// connection, reading them means N thread wake-ups on two CPUs, which spreads one burst over
/// milliseconds; a fast invocation can then finish and be reused inside "the same" burst. One loop
/// reads every ready request in a row instead, and the handler never blocks: it routes the request
/// and returns, and the answer is sent later through `respond`.
///
/// Why epoll, one-shot: a connection is watched only while it has no request in flight, and
/// whichever thread sends an answer re-arms it with one `epoll_ctl` — the loop is not woken to
/// rebuild a poll set, and its cost per turn does not grow with the number of idle connections.
public final class HTTPEventServer: Sendable {
    /// Called on the loop thread; must not block. Call `respond` exactly once, from any thread.
    public typealias Handler = @Sendable (HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void
    /// Wraps one turn of the loop: `serve` reads and routes every request that has arrived. The
    /// Invoke API uses it to route a whole burst before any of it starts running.
    public typealias Turn = @Sendable (_ serve: () -> Void) -> Void

    public let port: UInt16
    /// Entered while the loop runs, so `waitUntilStopped` waits for its end, not for a time.
    private let running = DispatchGroup()
    let listener: Socket
    let epoll: Int32
    /// Written to wake the loop when the server stops.
    private let wake: (read: Int32, write: Int32)
    let limits: HTTPLimits
    private let handler: Handler
    private let turn: Turn
    /// After reading several requests in a row, how long to wait for more before ending the turn.
    private let linger: Duration
    private let errorResponder: HTTPServer.ErrorResponder
    private let name: String
    let state = Mutex(State())
    /// What a client gets when the process is out of descriptors: its connection is accepted on a
    /// descriptor held in reserve for this, answered, and closed — so it never waits unanswered.
    let overloaded: HTTPResponse
    let spare = Mutex<Int32>(-1)

    struct State {
        var stopped = false
        var connections: [Int32: Connection] = [:]
        /// Connections with pipelined requests already buffered, left for the loop's next turn
        /// once one had its share of this one.
        var deferred: [Connection] = []
    }

    /// One client connection. Its reader is only touched by one thread at a time: the loop while
    /// the connection is armed in epoll (one-shot), the answering thread otherwise.
    final class Connection: @unchecked Sendable {
        let socket: Socket
        let reader: HTTPReader
        init(_ socket: Socket, limits: HTTPLimits) {
            self.socket = socket
            reader = HTTPReader(socket: socket, limits: limits)
            reader.nonBlocking = true
        }
    }

    public init(name: String, port: UInt16 = 0, limits: HTTPLimits = HTTPLimits(),
                errorResponder: @escaping HTTPServer.ErrorResponder = HTTPServer.plainError,
                turn: @escaping Turn = { serve in serve() }, linger: Duration = .zero,
                overloaded: HTTPResponse = .json(503, #"{"errorType":"ServiceUnavailable","errorMessage":"out of file descriptors"}"#),
                handler: @escaping Handler) throws {
        self.name = name
        self.overloaded = overloaded
        spare.withLock { $0 = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        self.turn = turn
        self.linger = linger
        listener = try Socket.listen(port: port)
        _ = fcntl(listener.fd, F_SETFL, fcntl(listener.fd, F_GETFL) | O_NONBLOCK)
        self.port = listener.localPort
        self.limits = limits
        self.handler = handler
        self.errorResponder = errorResponder
        wake = try GNUExtensions.closeOnExecPipe()
        _ = fcntl(wake.read, F_SETFL, fcntl(wake.read, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wake.write, F_SETFL, fcntl(wake.write, F_GETFL) | O_NONBLOCK)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SocketError("epoll_create1") }
        // The listener and the wake pipe stay armed (level-triggered); connections are one-shot.
        control(EPOLL_CTL_ADD, wake.read, EPOLLIN.rawValue)
        control(EPOLL_CTL_ADD, listener.fd, EPOLLIN.rawValue)
    }

    public func start() {
        running.enter()
        Threads.start(name: "\(name) loop") { [self] in
            loop()
            running.leave()
        }
    }

    /// Waits for the loop to end after `stop()`; false if it still runs after `milliseconds`.
    public func waitUntilStopped(milliseconds: Int) -> Bool {
        running.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
    }

    private func loop() {
        GNUExtensions.setMinimalTimerSlack()
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        while !state.withLock({ $0.stopped }) {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            if count <= 0 { continue }
            turn { serveTurn(&events, count: Int(count)) }
        }
        listener.close()
        // The wake pipe and epoll stay open until deinit: a late answer may still re-arm a
        // connection, and a descriptor closed here could be reused by another.
    }

    deinit {
        spare.withLock { if $0 >= 0 { close($0) } }
        close(epoll)
        close(wake.read)
        close(wake.write)
    }

    /// Every request that is ready is read and routed now, one after another; then the loop looks
    /// again for requests that arrived meanwhile, so a burst is routed in one turn. It also waits a
    /// little for more — `linger` once it has read several in a row, a quarter of that after a lone
    /// request while other clients are connected — because on two CPUs the client writing a burst
    /// may share a CPU with this loop, and only writes the rest when the loop sleeps. A lone
    /// request from the only client never waits. Bounded, so a flood cannot hold the loop for ever.
    private func serveTurn(_ events: inout [epoll_event], count: Int) {
        var ready = count
        var served = 0
        while served < 4_096 {
            // Only requests and new connections keep a turn going: a stopped server's listener
            // stays readable (hung up) for ever, and must not hold the loop here.
            var progressed = false
            for index in 0..<ready {
                let fd = events[index].data.fd
                if fd == wake.read {
                    var drain = [UInt8](repeating: 0, count: 256)
                    while read(wake.read, &drain, drain.count) > 0 {}
                    for connection in state.withLock({ state -> [Connection] in defer { state.deferred = [] }; return state.deferred }) {
                        serveNext(connection)
                        served += 1
                        progressed = true
                    }
                } else if fd == listener.fd {
                    if acceptAll() { progressed = true }
                } else if let connection = state.withLock({ $0.connections[fd] }) {
                    serveNext(connection)
                    served += 1
                    progressed = true
                }
            }
            guard progressed, !state.withLock({ $0.stopped }) else { return }
            ready = Int(epoll_wait(epoll, &events, Int32(events.count), 0))
            if ready > 0 { continue }
            let wait = served >= 2 ? linger : state.withLock({ $0.connections.count }) >= 2 ? linger / 4 : .zero
            guard wait > .zero else { return }
            ready = Int(GNUExtensions.epollWait(epoll, &events, timeout: wait))
            if ready <= 0 { return }
        }
    }

    func control(_ operation: Int32, _ fd: Int32, _ events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        _ = epoll_ctl(epoll, operation, fd, &event)
    }

    /// Arms a connection for its next request; from any thread, without waking the loop.
    private func watch(_ connection: Connection) {
        control(EPOLL_CTL_MOD, connection.socket.fd, EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
    }

    /// Parses and dispatches the next complete request, or goes back to waiting for bytes.
    /// A loop, not recursion: pipelined requests answered at once (DryRun, errors) are served one
    /// after another on this stack — at most `share` of them, then the connection waits for the
    /// loop's next turn, so one client cannot hold the loop however many requests it sent.
    private func serveNext(_ connection: Connection) {
        let share = 64
        for _ in 0..<share {
            let request: HTTPRequest
            do {
                guard let next = try connection.reader.readRequest(expectContinue: {
                    try connection.socket.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }) else { return drop(connection) }
                request = next
            } catch is HTTPReader.WouldBlock {
                return watch(connection)
            } catch let error as HTTPError {
                if error != .truncated { try? connection.socket.send(errorResponder(error).serialized(keepAlive: false)) }
                if case .bodyTooLarge = error {
                    // Off the loop: the client may still be sending megabytes.
                    Threads.start(name: "\(name) drain") { [self] in
                        connection.socket.lingeringDrain()
                        drop(connection)
                    }
                    return
                }
                return drop(connection)
            } catch {
                return drop(connection)
            }
            let keepAlive = request.keepAlive
            // Whether the handler answered before returning (then this loop reads the next request)
            // or later, from another thread (then that thread carries on with the connection).
            let progress = Mutex((handlerReturned: false, answeredInline: false, open: false))
            handler(request) { [self] response in
                let open = keepAlive && !state.withLock { $0.stopped }
                let sent = (try? connection.socket.send(response.serialized(keepAlive: open))) != nil
                let inline = progress.withLock { progress -> Bool in
                    progress.open = sent && open
                    if !progress.handlerReturned { progress.answeredInline = true }
                    return !progress.handlerReturned
                }
                if inline { return }
                guard sent, open else { return drop(connection) }
                // A pipelined request may already be buffered; otherwise wait for the next one.
                if connection.reader.hasBufferedBytes { serveNext(connection) } else { watch(connection) }
            }
            let (answeredInline, open) = progress.withLock { progress -> (Bool, Bool) in
                progress.handlerReturned = true
                return (progress.answeredInline, progress.open)
            }
            guard answeredInline else { return }
            guard open else { return drop(connection) }
            if !connection.reader.hasBufferedBytes { return watch(connection) }
        }
        state.withLock { $0.deferred.append(connection) }
        _ = write(wake.write, [1], 1)
    }

    /// Forgets a connection. The descriptor is closed when the last reference goes (a handler may
    /// still hold one), so a late answer can never be written into a reused descriptor number.
    private func drop(_ connection: Connection) {
        let known = state.withLock { $0.connections.removeValue(forKey: connection.socket.fd) != nil }
        if known { _ = epoll_ctl(epoll, EPOLL_CTL_DEL, connection.socket.fd, nil) }
        connection.socket.shutdown()
    }

    public func stop() {
        let connections = state.withLock { state -> [Connection] in
            state.stopped = true
            return Array(state.connections.values)
        }
        listener.shutdown()
        for connection in connections { connection.socket.shutdown() }
        _ = write(wake.write, [1], 1)
    }
}
