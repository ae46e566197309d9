/// One kept-alive HTTP/1.1 connection to a server on loopback. Not shared between threads:
/// a caller that wants concurrency opens one client per concurrent request, as SDKs pool them.
/// (`@unchecked Sendable`: a client may be handed to another thread, never used by two at once.)
public final class HTTPClient: @unchecked Sendable {
    public let host: String
    public let port: UInt16
    private var connection: (socket: Socket, reader: HTTPReader)?
    private let limits: HTTPLimits

    public init(host: String = "127.0.0.1", port: UInt16, limits: HTTPLimits = HTTPLimits(maxBodyBytes: 64 * 1024 * 1024)) {
        self.host = host
        self.port = port
        self.limits = limits
    }

    /// `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    public convenience init(hostPort: String) throws {
        let parts = hostPort.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw HTTPError.malformed("expected host:port, got \(hostPort)") }
        self.init(host: String(parts[0]), port: port)
    }

    /// Opens the connection now (the caller then pays connect before it starts its clock).
    public func connect() throws {
        if connection == nil {
            let socket = try Socket.connect(host: host, port: port)
            connection = (socket, HTTPReader(socket: socket, limits: limits))
        }
    }

    /// Sends a request and reads its response. A kept connection the server closed while idle is
    /// reopened once; a failure after that is the caller's to see.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let reused = connection != nil
        do {
            return try exchange(request)
        } catch {
            close()
            guard reused else { throw error }
            return try exchange(request)
        }
    }

    /// Sends a request without waiting for its answer (for callers that multiplex with `poll`).
    public func write(_ request: HTTPRequest) throws {
        try connect()
        try connection!.socket.send(request.serialized(host: "\(host):\(port)"))
    }

    /// Reads the answer to a request sent with `write`.
    public func readResponse() throws -> HTTPResponse {
        guard let (_, reader) = connection else { throw HTTPError.truncated }
        let response = try reader.readResponse()
        if response.headers["Connection"]?.lowercased() == "close" { close() }
        return response
    }

    /// The connection's descriptor, to wait on with `poll`; nil when not connected.
    public var fileDescriptor: Int32? { connection?.socket.fd }

    private func exchange(_ request: HTTPRequest) throws -> HTTPResponse {
        try connect()
        let (socket, reader) = connection!
        try socket.send(request.serialized(host: "\(host):\(port)"))
        let response = try reader.readResponse()
        if response.headers["Connection"]?.lowercased() == "close" { close() }
        return response
    }

    public func close() {
        connection?.socket.close()
        connection = nil
    }

    deinit { close() }
}
