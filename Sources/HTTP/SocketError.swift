import Glibc

/// A failed system call on a socket or pipe, with the errno it set.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }

    /// The process or the system ran out of descriptors (or memory for one): the caller's own
    /// limit, not the peer's fault, and it passes when descriptors are closed.
    public var isResourceExhaustion: Bool { [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) }
}
