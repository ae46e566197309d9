import Glibc

/// The accept loop of a thread-per-connection server (the Runtime API endpoints, the stand-in
/// database), in one place: every connection accepted is offered to `admit` — which registers it,
/// or refuses it once the server has stopped, and the loop ends — then served on a thread of its
/// own. Out of descriptors, a connection waits in the listener's backlog: the loop says so
/// (`onStarved`) and tries again in 10 ms, until the server stops. The listener is closed at the end.
///
/// (The Invoke API's event-loop server accepts without blocking, inside its epoll loop, and answers
/// a client it cannot take; it has its own.)
public enum AcceptLoop {
    public static func start(_ listener: Socket, name: String, stackSize: Int = 256 * 1024,
                             isStopped: @escaping @Sendable () -> Bool, onStarved: @escaping @Sendable () -> Void = {},
                             admit: @escaping @Sendable (Socket) -> Bool, serve: @escaping @Sendable (Socket) -> Void) {
        Threads.start(name: "\(name) accept") {
            while true {
                let connection: Socket
                do {
                    connection = try listener.accept()
                } catch let error as SocketError where error.isResourceExhaustion && !isStopped() {
                    onStarved()
                    usleep(10_000)
                    continue
                } catch {
                    break
                }
                guard admit(connection) else { connection.close(); break }
                Threads.start(name: "\(name) conn", stackSize: stackSize) { serve(connection) }
            }
            listener.close()
        }
    }
}
