import HTTP

/// One kept-alive HTTPS (HTTP/1.1 over TLS) connection: HTTP's own `HTTPClient` over a
/// `TLSConnection`, opened on first use, reused for the next request, reopened when the server has
/// dropped it.
public enum TLSClient {
    /// A client for `https://host:port`.
    /// - Parameter context: the trust settings; nil for `TLSContext.shared` (the system's CAs).
    public static func make(host: String, port: UInt16 = 443, context: TLSContext? = nil,
                            maxBodyBytes: Int = 64 * 1024 * 1024) -> HTTPClient {
        HTTPClient(host: host, port: port, authority: authority(host: host, port: port), limits: HTTPLimits(maxBodyBytes: maxBodyBytes)) {
            try TLSConnection(host: host, port: port, context: context ?? TLSContext.shared.get())
        }
    }

    /// The Host header's value (and what a signature signs): the port only when not 443.
    public static func authority(host: String, port: UInt16) -> String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }
}
