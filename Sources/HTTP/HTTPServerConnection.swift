import EventLoop
import Glibc

/// One client connection of an `HTTPServer`, on its loop: bytes in, requests out, one at a time;
/// answers in, bytes out, without ever blocking.
///
/// It is watched edge-triggered for reading, writing and the peer's close, so it costs no epoll
/// call per request; the price is that whatever it stops reading (a request waiting for its answer,
/// an answer waiting to drain) it must pick up again itself, in `resume`.
final class HTTPServerConnection: EventLoop.Handler, @unchecked Sendable {
    unowned let server: HTTPServer
    let socket: Socket
    let id: Int
    private var buffer = ReadBuffer(capacity: 0)
    private var parser: HTTPParser
    /// The request being answered; the next is read only after its answer is written.
    private var answering: HTTPResponder?
    /// Bytes of answers not yet taken by the socket.
    private var output: [UInt8] = []
    private var written = 0
    private var closeWhenWritten = false
    /// After an early answer (413 before the body was read): what the client still sends is read
    /// and thrown away, so closing does not reset the connection before the client reads the answer.
    private var draining: LoopTimer?
    private var drained = 0
    /// Bytes arrived while a request was being answered (a pipelined request): read them after.
    private var arrivedMeanwhile = false
    private(set) var isClosed = false

    init(server: HTTPServer, socket: Socket, id: Int) {
        self.server = server
        self.socket = socket
        self.id = id
        parser = HTTPParser(limits: server.limits)
    }

    func ready(_ events: UInt32) {
        var served = false
        if events & EventLoop.writable != 0, written < output.count {
            flush()
            // The answer is out: the next request may be read now.
            if written == output.count, answering == nil, !isClosed { serve(); served = true }
        }
        guard !isClosed, !served else { return }
        if events & (EventLoop.readable | EventLoop.peerClosed | EventLoop.hangUp | EventLoop.error) != 0 {
            if draining != nil { return drain() }
            if answering == nil, written == output.count {
                serve()
            } else {
                // Busy with a request: not reading more now, but a peer that went away must be
                // noticed (a runtime killed while its `GET /next` is parked here).
                noticeEnd()
            }
        }
    }

    // MARK: Reading

    /// Reads and serves requests until one waits for its answer, the socket is empty, or this
    /// connection has had its share of the turn (one client cannot hold the loop).
    private func serve() {
        serving = true
        defer { serving = false }
        var served = 0
        while !isClosed, answering == nil, written == output.count {
            if served == 64 {
                server.loop.execute { [weak self] in self?.resume() }
                return
            }
            let progress: HTTPParser.Progress<HTTPRequest>
            do {
                progress = try parser.nextRequest(&buffer)
            } catch let error as HTTPError {
                return refuse(error)
            } catch {
                return close(.closed)
            }
            switch progress {
            case .message(let request):
                served += 1
                buffer.shrinkIfIdle()
                let responder = HTTPResponder(connection: self, keepAlive: request.keepAlive)
                answering = responder
                server.handler(request, responder)
            case .expectsContinue:
                enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                flush()
            case .needMore:
                guard receive() else { return }
            }
        }
    }

    /// Receives what has arrived; false when there is nothing (or the connection ended).
    private func receive() -> Bool {
        let count: Int
        do {
            count = try server.scratch.withUnsafeMutableBytes { try socket.receive(into: $0, waiting: false) }
        } catch let error as SocketError where error.code == EAGAIN || error.code == EWOULDBLOCK {
            return false
        } catch let error as SocketError {
            close(error.code == ECONNRESET ? .reset : .closed)
            return false
        } catch {
            close(.closed)
            return false
        }
        if count == 0 {
            // The peer closed. A request cut short gets no answer: there is nobody to read it.
            // A reset after the close means something written to it was never read (Linux reports
            // a reset that follows the peer's FIN as EPIPE).
            let error = socket.pendingError
            close(error == ECONNRESET || error == EPIPE ? .reset : .closed)
            return false
        }
        buffer.append(server.scratch[..<count])
        return true
    }

    /// While a request is being answered: has the peer gone, or sent more? Looks without consuming.
    private func noticeEnd() {
        if let ending = peekEnding() { close(ending) } else { arrivedMeanwhile = true }
    }

    /// How the connection has ended, seen in the socket without reading from it; nil while open.
    func peekEnding() -> HTTPServer.Ending? {
        var byte: UInt8 = 0
        let count = recv(socket.fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if count > 0 { return nil }
        if count == 0 { return [ECONNRESET, EPIPE].contains(socket.pendingError) ? .reset : .closed }
        switch errno {
        case ECONNRESET, EPIPE: return .reset
        case EAGAIN, EWOULDBLOCK, EINTR: return nil
        default: return .closed
        }
    }

    /// After an answer, or a pause: carry on with what is buffered or waiting in the socket.
    func resume() {
        guard !isClosed, answering == nil, written == output.count else { return }
        arrivedMeanwhile = false
        serve()
    }

    /// A request that could not be read: its error answer, then the connection closes.
    private func refuse(_ error: HTTPError) {
        answering = nil
        if error != .truncated {
            enqueue(server.errorResponder(error).serialized(keepAlive: false))
        }
        closeWhenWritten = true
        if case .bodyTooLarge = error {
            // The client may still be sending megabytes: once the answer is out, they are read
            // away for a while (see `drain`).
            draining = server.loop.schedule(after: .seconds(2)) { [weak self] in self?.close(.closed) }
        }
        flush()
    }

    private func drain() {
        while !isClosed {
            let count = (try? server.scratch.withUnsafeMutableBytes { try socket.receive(into: $0, waiting: false) }) ?? -1
            if count <= 0 || drained > 64 * 1024 * 1024 {
                if count == 0 || drained > 64 * 1024 * 1024 { close(.closed) }
                return
            }
            drained += count
            // A pause of two seconds ends it; every read starts the wait again.
            if let timer = draining { server.loop.cancel(timer) }
            draining = server.loop.schedule(after: .seconds(2)) { [weak self] in self?.close(.closed) }
        }
    }

    // MARK: Writing

    /// Called by the responder, on the loop.
    func answer(_ response: HTTPResponse, keepAlive: Bool, from responder: HTTPResponder) {
        guard !isClosed, answering === responder else { return }
        answering = nil
        let open = keepAlive && !server.stopped
        var bytes = output.count == written ? [] : Array(output[written...])
        output = []
        written = 0
        response.serialize(keepAlive: open, into: &bytes)
        output = bytes
        if !open { closeWhenWritten = true }
        flush()
        // Answered from inside `serve`, which carries on by itself (a loop, not recursion, however
        // many pipelined requests are answered at once). Answered later: what is buffered, or
        // arrived meanwhile, is read now; anything that comes later brings an edge of its own.
        if !serving, !buffer.isEmpty || arrivedMeanwhile { resume() }
    }

    /// A streamed answer is being written (server-sent events): no request is read any more.
    private var streaming = false
    /// How much a streamed answer may have waiting for a slow client before it is cut off.
    static let streamBacklogLimit = 16 * 1024 * 1024

    /// The head of a streamed answer; its body follows through `streamBody`.
    func beginStream(_ head: [UInt8], from responder: HTTPResponder) -> Bool {
        guard !isClosed, answering === responder else { return false }
        // `answering` stays set: this connection reads no further request.
        streaming = true
        enqueue(head)
        flush()
        return !isClosed
    }

    func streamBody(_ bytes: [UInt8]) -> Bool {
        guard streaming, !isClosed else { return false }
        if output.count - written > Self.streamBacklogLimit {
            close(.closed)
            return false
        }
        enqueue(bytes)
        flush()
        return !isClosed
    }

    func endStream() {
        guard streaming, !isClosed else { return }
        closeWhenWritten = true
        flush()
    }

    /// `serve` is on the stack.
    private var serving = false

    private func enqueue(_ bytes: [UInt8]) {
        output.append(contentsOf: bytes)
    }

    /// Writes what the socket takes now; the rest waits for the socket's next writable edge.
    private func flush() {
        while written < output.count {
            let count: Int
            do {
                count = try output.withUnsafeBytes { raw in
                    try socket.sendNow(UnsafeRawBufferPointer(rebasing: raw[written...]))
                }
            } catch {
                return close(.reset)
            }
            if count == 0 { return }
            written += count
        }
        output.removeAll(keepingCapacity: output.count <= 64 * 1024)
        written = 0
        guard closeWhenWritten else { return }
        if draining == nil { return close(.closed) }
        // The answer is out: no more writing, and what the client still sends is read away.
        _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR))
        drain()
    }

    // MARK: Closing

    /// Ends the connection once: out of the loop, the descriptor released with the socket.
    func close(_ ending: HTTPServer.Ending, notify: Bool = true) {
        guard !isClosed else { return }
        isClosed = true
        if let draining { server.loop.cancel(draining) }
        draining = nil
        answering = nil
        server.loop.deregister(socket.fd)
        server.forget(self)
        socket.close()
        if notify { server.connectionEnded?(id, ending) }
    }
}
