// HMAC-SHA256 (RFC 2104, FIPS 198-1) over this module's SHA256, for AWS Signature Version 4:
// the signing key is four HMACs deep (date, region, service, "aws4_request") and the signature a
// fifth. Linux has no CryptoKit and the package takes no dependencies, so it is written here.

public enum HMACSHA256 {
    /// SHA-256's block size: keys are padded (or first hashed) to this length.
    static let blockSize = 64

    /// HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m)), K' = K zero-padded to a block, or
    /// H(K) zero-padded when K is longer than a block (RFC 2104 §2).
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var block = key.count > blockSize ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256.Hasher()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256.Hasher()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// The same over a text message, as SigV4 feeds its date, region and service names (UTF-8).
    public static func authenticationCode(for message: String, key: [UInt8]) -> [UInt8] {
        authenticationCode(for: Array(message.utf8), key: key)
    }
}
