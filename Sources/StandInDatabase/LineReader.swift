import HTTP

/// Reads newline-terminated lines from a socket: the stand-in database's line protocol, both sides.
public final class LineReader {
    private let socket: Socket
    private var buffer: [UInt8] = []
    private let maxLine: Int

    public init(socket: Socket, maxLine: Int = 64 * 1024) {
        self.socket = socket
        self.maxLine = maxLine
    }

    /// The next line without its line end, or nil when the peer closed.
    public func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffer.count <= maxLine else { throw DatabaseError.lineTooLong(maxLine) }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
            if count == 0 { return nil }
            buffer += chunk[0..<count]
        }
    }
}
