import EventLoop
import Glibc
import Synchronization

/// A TCP socket on loopback, with the POSIX details done once: close-on-exec, `TCP_NODELAY`,
/// `MSG_NOSIGNAL` (a peer that went away must not kill us with SIGPIPE), `EINTR` retries and short
/// reads/writes. Every server in the lab binds 127.0.0.1 only.
///
/// The descriptor is released only in `deinit`, when no thread can hold the object any more. While
/// a `Socket` exists its number is ours, so a late `shutdown` or `send` from another thread can never
/// land on a descriptor the kernel has since handed to someone else.
public final class Socket: Sendable {
    public let fd: Int32
    private let isClosed = Atomic<Bool>(false)

    public init(fd: Int32) { self.fd = fd }
    deinit { _ = Glibc.close(fd) }

    /// Listens on 127.0.0.1:`port`; port 0 lets the kernel choose (read it back with `localPort`).
    public static func listen(port: UInt16 = 0, backlog: Int32 = 1024) throws -> Socket {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let socket = Socket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw SocketError("bind 127.0.0.1:\(port)") }
        guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("listen") }
        return socket
    }

    public static func connect(host: String = "127.0.0.1", port: UInt16) throws -> Socket {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let socket = Socket(fd: fd)
        var address = loopbackAddress(port: port)
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, ip, &address.sin_addr) == 1 else { throw SocketError("address \(host)", code: EINVAL) }
        while true {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result == 0 { break }
            if errno == EINTR { continue }
            throw SocketError("connect \(host):\(port)")
        }
        socket.setNoDelay()
        return socket
    }

    private static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// The port the kernel bound (the answer to "port 0").
    public var localPort: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Waits for the next connection; throws once the socket was shut down.
    public func accept() throws -> Socket {
        guard let socket = try acceptNow() else { throw SocketError("accept", code: EAGAIN) }
        return socket
    }

    /// The next waiting connection, without blocking (the listener must be non-blocking): nil when
    /// none is waiting (a blocking listener waits for one instead). Descriptor exhaustion is thrown
    /// (`SocketError.isResourceExhaustion`).
    public func acceptNow() throws -> Socket? {
        while true {
            let client = GNUExtensions.accept4(fd, flags: Int32(SOCK_CLOEXEC.rawValue))
            if client >= 0 {
                let socket = Socket(fd: client)
                socket.setNoDelay()
                return socket
            }
            // Transient conditions: a signal, or a connection reset before we took it.
            if errno == EINTR || errno == ECONNABORTED || errno == EPROTO { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw SocketError("accept")
        }
    }

    /// `accept` and `connect` return at once instead of waiting.
    public func setNonBlocking() {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// A `send` that cannot go on for this long fails instead of blocking: a peer that stopped
    /// reading must not hold the thread (an event loop) that writes to it.
    public func setSendTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Small request/response messages must not wait for Nagle's algorithm.
    private func setNoDelay() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    public func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    public func send(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 {
                if errno == EINTR { continue }
                throw SocketError("send")
            }
            offset += written
        }
    }

    /// Writes what the socket takes now, without waiting: the number of bytes written, 0 when its
    /// buffer is full (`EAGAIN`). An event loop writes this way and waits for it to drain.
    public func sendNow(_ buffer: UnsafeRawBufferPointer) throws -> Int {
        while true {
            let written = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if written >= 0 { return written }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            throw SocketError("send")
        }
    }

    /// The error the kernel recorded for the connection (`SO_ERROR`), such as `ECONNRESET` when the
    /// peer reset it; 0 when there is none.
    public var pendingError: Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }

    /// Reads what is available (at most the buffer's size); 0 means the peer closed.
    /// With `waiting: false` it never blocks and throws `EAGAIN` when nothing is there.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, waiting: Bool = true) throws -> Int {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, waiting ? 0 : Int32(MSG_DONTWAIT))
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw SocketError("recv")
        }
    }

    /// After an early answer (a 413 sent before the body was read): stop writing, then read and
    /// discard what the client is still sending — up to `maxBytes`, until it pauses for `stallMs` —
    /// so the close does not reset the connection and destroy the answer before the client reads it.
    public func lingeringDrain(maxBytes: Int = 64 * 1024 * 1024, stallMs: Int32 = 2_000) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        var discarded = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while discarded < maxBytes {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, stallMs) == 1,
                  let count = try? buffer.withUnsafeMutableBytes({ try receive(into: $0) }), count > 0 else { return }
            discarded += count
        }
    }

    /// Whether the peer has closed or reset its side, seen without reading. A runtime killed while
    /// parked in `GET /next` closes its socket before anyone reads the end of it; an answer written
    /// then would be lost, so its writer asks first.
    public var peerHasClosed: Bool {
        // POLLRDHUP (0x2000) is Linux's "peer shut down writing"; Glibc's module hides it behind _GNU_SOURCE.
        let readHangUp: Int16 = 0x2000
        var descriptor = pollfd(fd: fd, events: readHangUp, revents: 0)
        guard poll(&descriptor, 1, 0) == 1 else { return false }
        return descriptor.revents & (readHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Wakes every thread blocked on this socket (accept, recv) and ends the connection; the
    /// descriptor itself is released in `deinit`.
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// No more use: the connection ends now (FIN to the peer), the descriptor goes with the object.
    public func close() {
        if isClosed.exchange(true, ordering: .acquiringAndReleasing) == false { shutdown() }
    }
}
