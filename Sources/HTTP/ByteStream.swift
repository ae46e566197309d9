/// Where HTTP messages are read from and written to, blocking: a plain socket, or a TLS connection
/// over one. `HTTPReader` and `HTTPClient` work on any of them, so there is one HTTP/1.1 reader for
/// both.
public protocol ByteStream: AnyObject {
    /// Reads what is available into `buffer`, waiting for at least one byte; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws
    /// Ends the connection.
    func close()
    /// Whether an idle connection can carry another request (the peer has not closed it).
    var isReusable: Bool { get }
    /// The descriptor to wait on with `poll`.
    var fileDescriptor: Int32 { get }
}

extension Socket: ByteStream {
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try receive(into: buffer)
    }

    public func write(_ bytes: [UInt8]) throws {
        try send(bytes)
    }

    /// Always: a kept-alive connection the server closed meanwhile fails its next request, and
    /// `HTTPClient` then opens a new one (asking first would cost a system call per request).
    public var isReusable: Bool { true }

    public var fileDescriptor: Int32 { fd }
}
