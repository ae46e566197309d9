import Foundation
import Glibc
import Synchronization

/// An HTTP/1.1 server whose requests are read by one event loop (`poll`) and answered by whoever
/// finishes them, from any thread.
///
/// Why: the Invoke API receives bursts — N requests written microseconds apart. With a thread per
/// connection, reading them means N thread wake-ups on two CPUs, which spreads one burst over
/// milliseconds; a fast invocation can then finish and be reused inside "the same" burst. One loop
/// reads every ready request in a row instead, and the handler never blocks: it routes the request
/// and returns, and the answer is sent later through `respond`.
public final class HTTPEventServer: Sendable {
    /// Called on the loop thread; must not block. Call `respond` exactly once, from any thread.
    public typealias Handler = @Sendable (HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void
    /// Wraps one turn of the loop: `serve` reads and routes every request that has arrived. The
    /// Invoke API uses it to route a whole burst before any of it starts running.
    public typealias Turn = @Sendable (_ serve: () -> Void) -> Void

    public let port: UInt16
    private let listener: Socket
    /// Written to wake the loop when a connection wants watching again (its answer was sent).
    private let wake: (read: Int32, write: Int32)
    private let limits: HTTPLimits
    private let handler: Handler
    private let turn: Turn
    /// After reading several requests in a row, how long to wait for more before ending the turn.
    private let linger: Duration
    private let errorResponder: HTTPServer.ErrorResponder
    private let name: String
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var connections: [Int32: Connection] = [:]
        /// Connections with no request in flight: the loop watches these for the next one.
        var waiting: Set<Int32> = []
    }

    /// One client connection. Its reader is only touched by one thread at a time: the loop while
    /// the connection is `waiting`, the answering thread otherwise.
    private final class Connection: @unchecked Sendable {
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
                handler: @escaping Handler) throws {
        self.name = name
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
    }

    public func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "\(name) loop"
        thread.start()
    }

    private func loop() {
        GNUExtensions.setMinimalTimerSlack()
        while true {
            let (stopped, waiting) = state.withLock { ($0.stopped, Array($0.waiting)) }
            if stopped { break }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0), pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)]
            fds += waiting.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { continue }
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                while read(wake.read, &drain, drain.count) > 0 {}
            }
            if fds[1].revents != 0 { acceptAll() }
            turn { serveReady(fds.dropFirst(2)) }
        }
        listener.close()
        // The wake pipe stays open until deinit: a late answer may still write to it, and a
        // descriptor closed here could be reused by another connection and receive that byte.
    }

    /// Every request that is ready is read and routed now, one after another; then the loop looks
    /// again for requests that arrived meanwhile, so a burst is routed in one turn. It also waits a
    /// little for more — `linger` once it has read several in a row, a quarter of that after a lone
    /// request while other clients are connected — because on two CPUs the client writing a burst
    /// may share a CPU with this loop, and only writes the rest when the loop sleeps. A lone
    /// request from the only client never waits. Bounded, so a flood cannot hold the loop for ever.
    private func serveReady(_ ready: ArraySlice<pollfd>) {
        var ready = Array(ready)
        var served = 0
        while served < 4_096 {
            for descriptor in ready where descriptor.revents != 0 {
                let connection = state.withLock { state -> Connection? in
                    guard state.waiting.remove(descriptor.fd) != nil else { return nil }
                    return state.connections[descriptor.fd]
                }
                if let connection { serveNext(connection); served += 1 }
            }
            // New connections too: a client may open some of a burst's connections just before
            // writing on them, and their requests belong to this turn.
            ready = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)]
                + state.withLock { $0.waiting.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
            if poll(&ready, nfds_t(ready.count), 0) == 0 {
                let wait = served >= 2 ? linger : ready.count >= 3 ? linger / 4 : .zero
                guard wait > .zero, GNUExtensions.poll(&ready, timeout: wait) > 0 else { return }
            }
            if ready[0].revents != 0 { acceptAll() }
            ready.removeFirst()
        }
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    private func acceptAll() {
        while let socket = try? listener.accept() {
            let connection = Connection(socket, limits: limits)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections[socket.fd] = connection
                state.waiting.insert(socket.fd)
                return true
            }
            guard admitted else { socket.shutdown(); return }
        }
    }

    /// Puts a connection back under the loop's watch; from another thread, the loop must be woken
    /// to rebuild its poll set.
    private func watch(_ connection: Connection, wakeLoop: Bool) {
        state.withLock { _ = $0.waiting.insert(connection.socket.fd) }
        if wakeLoop { _ = write(wake.write, [1], 1) }
    }

    /// Parses and dispatches the next complete request, or goes back to waiting for bytes.
    /// A loop, not recursion: pipelined requests answered at once (DryRun, errors) are served one
    /// after another on this stack, however many the client sent.
    private func serveNext(_ connection: Connection) {
        while true {
            let request: HTTPRequest
            do {
                guard let next = try connection.reader.readRequest(expectContinue: {
                    try connection.socket.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }) else { return drop(connection) }
                request = next
            } catch is HTTPReader.WouldBlock {
                return watch(connection, wakeLoop: false)
            } catch let error as HTTPError {
                if error != .truncated { try? connection.socket.send(errorResponder(error).serialized(keepAlive: false)) }
                if case .bodyTooLarge = error {
                    // Off the loop: the client may still be sending megabytes.
                    Thread { [self] in
                        connection.socket.lingeringDrain()
                        drop(connection)
                    }.start()
                    state.withLock { _ = $0.waiting.remove(connection.socket.fd) }
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
                if connection.reader.hasBufferedBytes { serveNext(connection) } else { watch(connection, wakeLoop: true) }
            }
            let (answeredInline, open) = progress.withLock { progress -> (Bool, Bool) in
                progress.handlerReturned = true
                return (progress.answeredInline, progress.open)
            }
            guard answeredInline else { return }
            guard open else { return drop(connection) }
            if !connection.reader.hasBufferedBytes { return watch(connection, wakeLoop: true) }
        }
    }

    /// Forgets a connection. The descriptor is closed when the last reference goes (a handler may
    /// still hold one), so a late answer can never be written into a reused descriptor number.
    private func drop(_ connection: Connection) {
        state.withLock { state in
            state.waiting.remove(connection.socket.fd)
            _ = state.connections.removeValue(forKey: connection.socket.fd)
        }
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
