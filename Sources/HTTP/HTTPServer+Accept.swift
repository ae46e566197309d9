import EventLoop
import Glibc

/// The accepting side: every waiting connection is taken in one go, and when descriptors run out
/// the clients waiting in the backlog are told so at once instead of waiting there.
extension HTTPServer {
    func acceptAll() {
        while !stopped {
            let socket: Socket
            do {
                guard let accepted = try listener.acceptNow() else { return }
                // Too close to the limit: treated as out of descriptors (see `DescriptorHeadroom`) —
                // by a server that can answer so; one whose clients must get through takes them.
                guard overloaded == nil || DescriptorHeadroom.leavesRoom(after: accepted.fd) else {
                    accepted.close()
                    throw SocketError("accept (descriptor headroom)", code: EMFILE)
                }
                socket = accepted
            } catch let error as SocketError where error.isResourceExhaustion {
                starved = true
                if let overloaded { refuseWaiting(overloaded) }
                rest()
                return
            } catch {
                return
            }
            let connection = HTTPServerConnection(server: self, socket: socket, id: nextConnectionID)
            nextConnectionID += 1
            do {
                try loop.register(socket.fd, events: EventLoop.readable | EventLoop.writable | EventLoop.peerClosed | EventLoop.edgeTriggered,
                                  handler: connection)
            } catch {
                socket.close()
                continue
            }
            connections[socket.fd] = connection
        }
    }

    /// Out of descriptors: every client waiting in the backlog is answered on the one descriptor
    /// held in reserve (accept, answer, close — one at a time), so each is told at once rather than
    /// left waiting for a descriptor to free up.
    private func refuseWaiting(_ overloaded: HTTPResponse) {
        var refused = 0
        while spare >= 0, refused < 4_096 {
            Glibc.close(spare)
            spare = -1
            guard let socket = try? listener.acceptNow() else { break }
            _ = try? overloaded.serialized(keepAlive: false).withUnsafeBytes { try socket.sendNow($0) }
            // What the client already sent is read first: closing with unread bytes would reset
            // the connection, and a reset can destroy the answer before the client reads it.
            _ = try? scratch.withUnsafeMutableBytes { try socket.receive(into: $0, waiting: false) }
            socket.close()
            refused += 1
            spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        if spare < 0 { spare = open("/dev/null", O_RDONLY | O_CLOEXEC) }
    }

    /// The listener rests for a moment: one that stays readable would wake the loop again at
    /// once, a spin.
    private func rest() {
        loop.modify(listener.fd, events: 0)
        loop.schedule(after: .milliseconds(20)) { [weak self] in
            guard let self, !stopped else { return }
            if spare < 0 { spare = open("/dev/null", O_RDONLY | O_CLOEXEC) }
            loop.modify(listener.fd, events: EventLoop.readable)
        }
    }
}
