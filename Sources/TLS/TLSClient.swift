import RuntimeAPI

/// One kept-alive HTTPS (HTTP/1.1 over TLS) connection, the counterpart of RuntimeAPI's
/// `HTTPClient`: opened on first use, reused for the next request, reopened when the server has
/// dropped it. (`@unchecked Sendable`: a client may be handed to another thread, never used by two
/// at once.)
public final class TLSClient: @unchecked Sendable {
    public let host: String
    public let port: UInt16
    private let context: TLSContext?
    private let maxBodyBytes: Int
    private var connection: (tls: TLSConnection, reader: TLSResponseReader)?

    /// - Parameter context: the trust settings; nil for `TLSContext.shared` (the system's CAs).
    public init(host: String, port: UInt16 = 443, context: TLSContext? = nil, maxBodyBytes: Int = 64 * 1024 * 1024) {
        self.host = host
        self.port = port
        self.context = context
        self.maxBodyBytes = maxBodyBytes
    }

    /// The Host header's value (and what a signature signs): the port only when not 443.
    public var authority: String { Self.authority(host: host, port: port) }

    public static func authority(host: String, port: UInt16) -> String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }

    /// Opens (resolves, connects, handshakes, verifies) now, so the caller can start its clock
    /// after. An idle connection the server has closed (or written to unasked) is replaced.
    public func connect() throws {
        if let connection, !connection.tls.isReusable { close() }
        guard connection == nil else { return }
        let tls = try TLSConnection(host: host, port: port, context: context ?? TLSContext.shared.get())
        connection = (tls, TLSResponseReader(connection: tls, maxBodyBytes: maxBodyBytes))
    }

    /// Sends a request and reads its response. A reused connection the server closed before
    /// answering is reopened once (as `HTTPClient` does); any other failure is the caller's.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let reused = connection != nil
        do {
            return try exchange(request)
        } catch let error as TLSError {
            close()
            guard reused, case .closed = error else { throw error }
            return try exchange(request)
        } catch {
            close()
            throw error
        }
    }

    private func exchange(_ request: HTTPRequest) throws -> HTTPResponse {
        try connect()
        let (tls, reader) = connection!
        try tls.write(request.serialized(host: authority))
        let response = try reader.readResponse()
        if response.headers["Connection"]?.lowercased() == "close" { close() }
        return response
    }

    public func close() {
        connection?.tls.close()
        connection = nil
    }

    deinit { close() }
}
