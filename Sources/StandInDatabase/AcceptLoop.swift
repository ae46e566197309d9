import EventLoop
import Glibc
import HTTP

/// The stand-in database's accept loop: every connection accepted is offered to `admit` — which
/// registers it, or refuses it once the database has stopped, and the loop ends — then served on a
/// thread of its own. Threads, not the lab's event loop: the database is a prop of the experiments,
/// a few connections that each block on a modeled delay, and it should cost the lab nothing.
/// Out of descriptors, a connection waits in the listener's backlog: the loop says so (`onStarved`)
/// and tries again in 10 ms, until the database stops. The listener is closed at the end.
enum AcceptLoop {
    static func start(_ listener: Socket, name: String, stackSize: Int = 256 * 1024,
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
