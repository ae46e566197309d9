/// One kept-alive HTTP/1.1 connection to a server, over a plain socket or over any other
/// `ByteStream` (TLS: `TLSClient` makes one of these). Not shared between threads: a caller that
/// wants concurrency opens one client per concurrent request, as SDKs pool them.
/// (`@unchecked Sendable`: a client may be handed to another thread, never used by two at once.)
public final class HTTPClient: @unchecked Sendable {
    /// Opens a new connection.
    public typealias Connector = @Sendable () throws -> any ByteStream

    public let host: String
    public let port: UInt16
    /// The Host header's value (and what a signature signs).
    public let authority: String
    private let limits: HTTPLimits
    private let open: Connector
    private var connection: (stream: any ByteStream, reader: HTTPReader)?

    /// Plain HTTP over TCP to `host:port`.
    public convenience init(host: String = "127.0.0.1", port: UInt16, limits: HTTPLimits = HTTPLimits(maxBodyBytes: 64 * 1024 * 1024)) {
        self.init(host: host, port: port, authority: "\(host):\(port)", limits: limits) {
            try Socket.connect(host: host, port: port)
        }
    }

    /// `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    public convenience init(hostPort: String) throws {
        let parts = hostPort.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw HTTPError.malformed("expected host:port, got \(hostPort)") }
        self.init(host: String(parts[0]), port: port)
    }

    /// Over whatever `connect` opens (a TLS connection, say).
    public init(host: String, port: UInt16, authority: String, limits: HTTPLimits = HTTPLimits(maxBodyBytes: 64 * 1024 * 1024),
                connect: @escaping Connector) {
        self.host = host
        self.port = port
        self.authority = authority
        self.limits = limits
        self.open = connect
    }

    /// Opens the connection now (so the caller pays for connecting before it starts its clock). An
    /// idle connection the server has closed is replaced.
    public func connect() throws {
        if let connection, !connection.stream.isReusable { close() }
        guard connection == nil else { return }
        let stream = try open()
        connection = (stream, HTTPReader(stream, limits: limits))
    }

    /// Sends a request and reads its response. A kept connection the server closed while idle is
    /// reopened once; a failure after that is the caller's to see.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let reused = connection != nil
        do {
            return try exchange(request)
        } catch {
            close()
            guard reused, Self.peerClosed(error) else { throw error }
            return try exchange(request)
        }
    }

    /// Sends a request without waiting for its answer (for callers that multiplex with `poll`).
    public func write(_ request: HTTPRequest) throws {
        try connect()
        try connection?.stream.write(request.serialized(host: authority))
    }

    /// Reads the answer to a request sent with `write`.
    public func readResponse() throws -> HTTPResponse {
        guard let (_, reader) = connection else { throw HTTPError.truncated }
        let response = try reader.readResponse()
        if response.headers["Connection"]?.lowercased() == "close" { close() }
        return response
    }

    /// The connection's descriptor, to wait on with `poll`; nil when not connected.
    public var fileDescriptor: Int32? { connection?.stream.fileDescriptor }

    private func exchange(_ request: HTTPRequest) throws -> HTTPResponse {
        try connect()
        guard let (stream, reader) = connection else { throw HTTPError.truncated }
        try stream.write(request.serialized(host: authority))
        let response = try reader.readResponse()
        if response.headers["Connection"]?.lowercased() == "close" { close() }
        return response
    }

    /// Whether a failure on a reused connection means the server had closed it while it was idle
    /// (worth one new connection), rather than something a new connection would meet again.
    private static func peerClosed(_ error: any Error) -> Bool {
        if let error = error as? HTTPError { return error == .truncated }
        return error is SocketError
    }

    public func close() {
        connection?.stream.close()
        connection = nil
    }

    deinit { close() }
}
