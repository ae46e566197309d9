import COpenSSL
import Glibc

/// The client settings every connection shares: TLS 1.2 or newer, peer verification on, and the
/// system's certificate authorities. Made once per process: loading a CA bundle parses ~150
/// certificates, too slow to repeat per connection. (`@unchecked Sendable`: an `SSL_CTX` is only
/// read once set up, and OpenSSL makes `SSL_new` on a shared context thread-safe.)
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Where the CA bundle lives, besides OpenSSL's own defaults. The defaults are the paths this
    /// OpenSSL was built with (Debian's `/usr/lib/ssl`), which AL2023 does not have; so both
    /// systems' bundles are named here. AL2023 (and Lambda's provided.al2023): the first; Debian
    /// and Ubuntu: the second.
    public static let systemBundles = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"]

    /// The context the process's connections use, with the system's trust store. Made on first use,
    /// so `SSL_CERT_FILE` set before the first connection is honoured.
    public static let shared = Result { try TLSContext() }

    /// - Parameter caFiles: PEM bundles to trust in addition to the defaults (`SSL_CERT_FILE`,
    ///   `SSL_CERT_DIR`, OpenSSL's built-in paths) and `systemBundles`; with `onlyThese`, instead.
    public init(caFiles: [String] = [], onlyThese: Bool = false) throws {
        // OpenSSL writes to sockets with write(2): a peer gone mid-write would raise SIGPIPE and end
        // the process. Ignored process-wide, as LambdaRuntime and the lab already do.
        signal(SIGPIPE, SIG_IGN)
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.setup(TLSError.queue()) }
        self.context = context
        guard COpenSSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else { throw TLSError.setup(TLSError.queue()) }
        COpenSSL_CTX_ignore_unexpected_eof(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        var loaded = 0
        if !onlyThese {
            // Honours SSL_CERT_FILE and SSL_CERT_DIR; succeeds even when its paths do not exist.
            if SSL_CTX_set_default_verify_paths(context) == 1 { loaded += 1 }
        }
        let bundles = caFiles + (onlyThese ? [] : Self.systemBundles)
        for file in bundles where access(file, R_OK) == 0 {
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else { throw TLSError.setup("loading \(file): \(TLSError.queue())") }
            loaded += 1
        }
        ERR_clear_error()
        guard loaded > 0 else { throw TLSError.setup("no certificate authorities to trust (none of \(bundles) is readable)") }
    }

    deinit { SSL_CTX_free(context) }
}

/// Why a TLS connection or an exchange over it failed, in words a log reader can act on.
public enum TLSError: Error, CustomStringConvertible, Sendable {
    case setup(String)
    case resolve(host: String, reason: String)
    case connect(host: String, port: UInt16, reason: String)
    /// The server's certificate chain or name did not check out: OpenSSL's verification reason.
    case certificate(host: String, reason: String)
    case handshake(host: String, reason: String)
    case io(String)

    public var description: String {
        switch self {
        case .setup(let why): "TLS setup failed: \(why)"
        case .resolve(let host, let why): "cannot resolve \(host): \(why)"
        case .connect(let host, let port, let why): "cannot connect to \(host):\(port): \(why)"
        case .certificate(let host, let why): "TLS certificate verification failed for \(host): \(why)"
        case .handshake(let host, let why): "TLS handshake with \(host) failed: \(why)"
        case .io(let why): "TLS I/O failed: \(why)"
        }
    }

    /// OpenSSL's error queue as text (emptied), or "unknown" when it holds nothing.
    static func queue() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "unknown" : reasons.joined(separator: "; ")
    }
}
