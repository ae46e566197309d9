import HTTP

/// A client's connection to the stand-in database (the worker's, at `WORKER_DB_ADDRESS`, host:port).
/// Connecting pays the database's handshake; each query pays one round trip.
/// `@unchecked Sendable`: a connection serves one caller at a time (the worker keeps it under a lock).
public final class DatabaseConnection: @unchecked Sendable {
    private let socket: Socket
    private let reader: LineReader

    /// Connects and waits for the server's `READY` greeting (the handshake).
    public init(address: String) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw DatabaseError.badAddress(address) }
        socket = try Socket.connect(host: String(parts[0]), port: port)
        reader = LineReader(socket: socket)
        guard let greeting = try reader.readLine(), greeting.hasPrefix("READY") else { throw DatabaseError.connectionLost }
    }

    /// `QUERY <key> [ms]` → the row's value. A connection the database dropped throws `connectionLost`.
    public func query(_ key: String) throws -> String {
        try socket.send(Array("QUERY \(key)\n".utf8))
        guard let line = try reader.readLine(), line.hasPrefix("ROW ") else { throw DatabaseError.connectionLost }
        return String(line.split(separator: " ").last ?? "")
    }

    deinit { socket.close() }
}

public enum DatabaseError: Error, CustomStringConvertible {
    case badAddress(String)
    case connectionLost
    case notConfigured
    case lineTooLong(Int)

    public var description: String {
        switch self {
        case .badAddress(let address): "WORKER_DB_ADDRESS must be host:port, got \(address)"
        case .connectionLost: "the database connection was lost"
        case .notConfigured: "WORKER_DB_ADDRESS is not set"
        case .lineTooLong(let limit): "a line of the database protocol was longer than \(limit) bytes"
        }
    }
}
