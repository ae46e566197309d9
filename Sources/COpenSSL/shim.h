// The system's OpenSSL 3 (TLS for the orchestrator's HTTPS calls to the Invoke API). Linked as
// libssl + libcrypto: shared in the workbook's own build, from libssl.a/libcrypto.a in the
// provided.al2023 static build (FoundationNetworking cannot be linked statically: no libcurl.a).
// Debian: libssl-dev for the headers and static libraries.
#if !__has_include(<openssl/ssl.h>)
#error "OpenSSL's headers are missing: install them with `sudo apt install libssl-dev` (Debian/Ubuntu), then build again"
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

// Macros over SSL_ctrl / SSL_CTX_ctrl and 64-bit option bits, which Swift cannot import.

static inline int COpenSSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int COpenSSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

/// A peer that closes without close_notify reads as an end of stream, not an error (servers and
/// proxies often do; HTTP frames its messages itself).
static inline void COpenSSL_CTX_ignore_unexpected_eof(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
}
