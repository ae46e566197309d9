import Foundation
import HTTP
import Synchronization
import Timing

/// A stand-in for the database a function talks to: a small TCP service on loopback with a line
/// protocol. The lab runs it so that "connect in init or in the handler" costs something real.
///
/// What is measured and what is modeled: the TCP connect, the bytes, the threads are real. The
/// network latency of a database in another host — the TLS/auth handshake and each query's round
/// trip — is *modeled* by holding the answer for `handshake` and `queryLatency`: a laptop has
/// no database on another host, so that one figure is a parameter and every chapter says so.
///
/// Protocol: on connect the server waits `handshake`, then sends `READY standin-db`. Each
/// `QUERY <key>` line is answered with `ROW <key> <value>` after `queryLatency`; `QUERY <key> <ms>`
/// asks for a slow query, held that many milliseconds instead (also modeled).
public final class StandInDatabase: Sendable {
    public struct Configuration: Sendable {
        /// Modeled: connection set-up to a database across a network (TCP + TLS + auth).
        public var handshake: Duration
        /// Modeled: one query's round trip (network plus the query's execution on the server).
        public var queryLatency: Duration

        public init(handshake: Duration = .milliseconds(40), queryLatency: Duration = .milliseconds(5)) {
            self.handshake = handshake
            self.queryLatency = queryLatency
        }
    }

    public let configuration: Configuration
    private let state: Mutex<State>

    private struct State {
        let listener: Socket
        var connections: [Int32: Socket] = [:]
        var connectionsAccepted = 0
        var queriesServed = 0
        var stopped = false
    }

    public init(configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        let listener = try Socket.listen(port: 0)
        state = Mutex(State(listener: listener))
        startAccepting(listener)
    }

    public var port: UInt16 { state.withLock { $0.listener.localPort } }
    /// `127.0.0.1:port`, as the worker's `WORKER_DB_ADDRESS` wants it.
    public var address: String { "127.0.0.1:\(port)" }
    /// Connections the database accepted: counted here, not by the function.
    public var connectionsAccepted: Int { state.withLock { $0.connectionsAccepted } }
    public var queriesServed: Int { state.withLock { $0.queriesServed } }

    private func startAccepting(_ listener: Socket) {
        AcceptLoop.start(listener, name: "standin-db", isStopped: { [self] in state.withLock { $0.stopped } }, admit: { [self] connection in
            state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connectionsAccepted += 1
                state.connections[connection.fd] = connection
                return true
            }
        }, serve: { [self] connection in serve(connection) })
    }

    private func serve(_ connection: Socket) {
        defer {
            state.withLock { _ = $0.connections.removeValue(forKey: connection.fd) }
            connection.close()
        }
        Thread.sleep(forTimeInterval: configuration.handshake.seconds)   // modeled handshake
        guard (try? connection.send(Array("READY standin-db\n".utf8))) != nil else { return }
        let reader = LineReader(socket: connection)
        while let line = try? reader.readLine() {
            guard line.hasPrefix("QUERY ") else {
                _ = try? connection.send(Array("ERROR unknown command\n".utf8))
                continue
            }
            let words = line.dropFirst("QUERY ".count).split(separator: " ")
            let key = words.first ?? ""
            let held = words.count > 1 ? (Double(words[1]).map { min(max($0, 0), 60_000) / 1000 } ?? configuration.queryLatency.seconds)
                                       : configuration.queryLatency.seconds
            Thread.sleep(forTimeInterval: held)   // modeled round trip (or modeled slow query)
            state.withLock { $0.queriesServed += 1 }
            guard (try? connection.send(Array("ROW \(key) \(StandInDatabase.value(for: key))\n".utf8))) != nil else { return }
        }
    }

    /// The table's contents: a value derived from the key, so every answer can be checked.
    static func value(for key: Substring) -> String {
        String(key.unicodeScalars.reduce(UInt32(2166136261)) { ($0 ^ $1.value) &* 16777619 }, radix: 16)
    }

    /// A database restart, as its clients see it: every open connection is dropped. (It keeps
    /// listening on the same port, so new connections work at once.) A function holding a
    /// connection from before finds it dead on its next query.
    public func restart() throws {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { connection.shutdown() }
    }

    public func stop() {
        let (listener, connections) = state.withLock { state -> (Socket, [Socket]) in
            state.stopped = true
            return (state.listener, Array(state.connections.values))
        }
        listener.shutdown()
        for connection in connections { connection.shutdown() }
    }

    deinit { stop() }
}
