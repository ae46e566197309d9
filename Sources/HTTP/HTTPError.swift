/// Why a message on the wire could not be read. Each case maps to the status a server answers with
/// before it closes the connection.
public enum HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case headersTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    /// The peer closed in the middle of a message.
    case truncated

    public var status: Int {
        switch self {
        case .malformed, .truncated: 400
        case .headersTooLarge: 431
        case .bodyTooLarge: 413
        }
    }

    public var description: String {
        switch self {
        case .malformed(let why): "malformed HTTP: \(why)"
        case .headersTooLarge(let limit): "request headers exceed \(limit) bytes"
        case .bodyTooLarge(let limit): "body exceeds \(limit) bytes"
        case .truncated: "connection closed in the middle of a message"
        }
    }
}

/// Caps that keep one bad peer from exhausting memory. Never trust a Content-Length without a cap.
public struct HTTPLimits: Sendable {
    /// Request line plus headers. awslambdaric sends a stack trace in one header, several KB.
    public var maxHeadBytes: Int
    public var maxBodyBytes: Int

    public init(maxHeadBytes: Int = 64 * 1024, maxBodyBytes: Int = 6 * 1024 * 1024 + 100) {
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
    }
}
