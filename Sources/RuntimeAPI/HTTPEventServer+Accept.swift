import CEpoll
import Dispatch
import Glibc

/// The event loop's accepting side: take every waiting connection, and when descriptors run out,
/// answer one client on the reserve descriptor instead of leaving it waiting.
extension HTTPEventServer {
    /// Accepts every pending connection; true if there was one.
    @discardableResult
    func acceptAll() -> Bool {
        var accepted = false
        while true {
            let socket: Socket
            do {
                socket = try listener.accept()
                // Too close to the limit: treated as out of descriptors (see `DescriptorHeadroom`).
                if !DescriptorHeadroom.leavesRoom(after: socket.fd) {
                    socket.close()
                    throw SocketError("accept (descriptor headroom)", code: EMFILE)
                }
            } catch let error as SocketError where error.isResourceExhaustion {
                // Out of descriptors. Answer one waiting client on the reserve descriptor, so it is
                // told rather than left waiting; then stop watching the listener for a moment (a
                // readable listener would wake the loop for ever, a spin).
                refuseOne()
                control(EPOLL_CTL_MOD, listener.fd, 0)
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { [weak self] in
                    guard let self, !state.withLock({ $0.stopped }) else { return }
                    spare.withLock { if $0 < 0 { $0 = open("/dev/null", O_RDONLY | O_CLOEXEC) } }
                    control(EPOLL_CTL_MOD, listener.fd, EPOLLIN.rawValue)
                }
                return accepted
            } catch {
                return accepted
            }
            // Answers are written from this loop too: a client that never reads them costs it at most this.
            socket.setSendTimeout(seconds: 5)
            let connection = Connection(socket, limits: limits)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections[socket.fd] = connection
                return true
            }
            guard admitted else { socket.shutdown(); return accepted }
            accepted = true
            control(EPOLL_CTL_ADD, socket.fd, EPOLLIN.rawValue | EPOLLONESHOT.rawValue)
        }
    }

    private func refuseOne() {
        spare.withLock { spare in
            guard spare >= 0 else { return }
            close(spare)
            if let socket = try? listener.accept() {
                try? socket.send(overloaded.serialized(keepAlive: false))
                socket.shutdown()
                socket.close()
            }
            spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
    }
}
