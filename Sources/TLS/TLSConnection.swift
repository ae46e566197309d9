import COpenSSL
import Glibc
import HTTP

/// One blocking TLS connection to `host:port`: resolved, connected, handshaken and verified in
/// `init` (TLS 1.2+, SNI, the certificate's chain against the context's CAs and its name against
/// `host`). Used by one thread at a time. A `ByteStream`, so HTTP's one reader reads it.
public final class TLSConnection: ByteStream {
    public let host: String
    public let port: UInt16
    private let fd: Int32
    private let ssl: OpaquePointer
    private var isClosed = false

    /// - Parameter timeoutSeconds: for connect and the handshake, so a silent server fails the call
    ///   instead of hanging it. Responses may then take as long as they take (a synchronous
    ///   invocation can last 15 minutes).
    public init(host: String, port: UInt16, context: TLSContext, timeoutSeconds: Int = 10) throws {
        self.host = host
        self.port = port
        fd = try Self.connectTCP(host: host, port: port, timeoutSeconds: timeoutSeconds)
        guard let ssl = SSL_new(context.context) else {
            Glibc.close(fd)
            throw TLSError.setup(TLSError.queue())
        }
        self.ssl = ssl
        // Closed here, once: `self` is whole by now, so its deinit runs too and must find it closed.
        do { try handshake() } catch {
            close()
            throw error
        }
        Self.setTimeout(fd, SO_RCVTIMEO, seconds: 0)
    }

    deinit { close() }

    private func handshake() throws {
        SSL_set_fd(ssl, fd)
        if Self.isIPAddress(host) {
            // An address is checked against the certificate's IP entries, and is never sent as SNI
            // (RFC 6066 §3).
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            guard COpenSSL_set_tlsext_host_name(ssl, host) == 1, SSL_set1_host(ssl, host) == 1 else {
                throw TLSError.setup("cannot set the server name \(host): \(TLSError.queue())")
            }
        }
        ERR_clear_error()
        let result = SSL_connect(ssl)
        guard result != 1 else { return }
        let verification = SSL_get_verify_result(ssl)
        if verification != X509_V_OK {
            ERR_clear_error()
            throw TLSError.certificate(host: host, reason: String(cString: X509_verify_cert_error_string(verification)))
        }
        throw TLSError.handshake(host: host, reason: failure(result))
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            var written = 0
            ERR_clear_error()
            let result = bytes.withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress! + offset, $0.count - offset, &written) }
            guard result == 1 else { throw TLSError.io("write: \(failure(result))") }
            offset += written
        }
    }

    /// Reads what is available into `buffer`, blocking until something is; 0 means the server
    /// closed the connection.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var count = 0
        ERR_clear_error()
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if result == 1 { return count }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_ZERO_RETURN: return 0
        case SSL_ERROR_SYSCALL where errno == 0: return 0
        default: throw TLSError.io("read: \(failure(result))")
        }
    }

    /// Whether an idle kept-alive connection can carry the next request: not when the server has
    /// closed it or sent data nobody asked for. Readable is not enough to tell: TLS 1.3 servers
    /// send session tickets just after the handshake, which sit unread until the next read. So a
    /// readable connection is peeked at without blocking; OpenSSL consumes such records and only
    /// "want read" (nothing for the application) means it is still good.
    public var isReusable: Bool {
        guard SSL_pending(ssl) == 0 else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) == 1 else { return true }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        var byte: UInt8 = 0
        var count = 0
        ERR_clear_error()
        let result = SSL_peek_ex(ssl, &byte, 1, &count)
        let reusable = result != 1 && SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ
        ERR_clear_error()
        return reusable
    }

    public var fileDescriptor: Int32 { fd }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        // close_notify, without waiting for the server's: a blocking socket, and nothing to read.
        _ = SSL_shutdown(ssl)
        SSL_free(ssl)
        Glibc.close(fd)
    }

    private func failure(_ result: Int32) -> String {
        let error = errno
        guard SSL_get_error(ssl, result) == SSL_ERROR_SYSCALL else { return TLSError.queue() }
        let queued = TLSError.queue()
        if error == EAGAIN || error == EWOULDBLOCK { return "timed out" }
        if error != 0 { return String(cString: strerror(error)) }
        return queued == "unknown" ? "the server closed the connection" : queued
    }

    // MARK: TCP

    /// Resolves `host` with getaddrinfo and connects to the first address that answers.
    ///
    /// In a fully static glibc executable (the provided.al2023 bootstrap) name resolution only uses
    /// the `files` (/etc/hosts) and `dns` (/etc/resolv.conf) sources: glibc 2.34+ has them inside
    /// libc.a, while any other source nsswitch.conf names would be a module loaded from the system,
    /// which a static binary cannot use safely. files + dns is what Lambda's environment needs, but
    /// that could not be verified on AL2023 here (offline): only on Debian, for `localhost`.
    static func connectTCP(host: String, port: UInt16, timeoutSeconds: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw TLSError.resolve(host: host, reason: status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var reasons: [String] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next?.pointee {
            next = address.ai_next
            let fd = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
            guard fd >= 0 else { reasons.append(String(cString: strerror(errno))); continue }
            // On Linux SO_SNDTIMEO also bounds connect(2); SO_RCVTIMEO bounds the handshake's reads.
            setTimeout(fd, SO_SNDTIMEO, seconds: timeoutSeconds)
            setTimeout(fd, SO_RCVTIMEO, seconds: timeoutSeconds)
            if connect(fd, address.ai_addr, address.ai_addrlen) == 0 {
                var one: Int32 = 1
                // Requests are small and answered one at a time: Nagle's delay would be pure latency.
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            reasons.append(errno == EINPROGRESS || errno == EAGAIN ? "timed out" : String(cString: strerror(errno)))
            Glibc.close(fd)
        }
        throw TLSError.connect(host: host, port: port, reason: reasons.joined(separator: "; "))
    }

    private static func setTimeout(_ fd: Int32, _ option: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    static func isIPAddress(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }
}
