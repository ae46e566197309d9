// SHA-256 (FIPS 180-4 §6.2) for Lambda's CodeSha256: base64 of the digest of the zip's bytes.
// Written here because the package takes no dependencies and Linux has no CryptoKit. Blocks are
// read straight from the caller's buffer and the schedule lives on the stack, so 50 MB of code
// hashes without an allocation per block.
import Foundation

public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// What Lambda reports as CodeSha256: the digest in standard base64 (with padding).
    public static func base64Digest(of bytes: [UInt8]) -> String {
        Data(hash(bytes)).base64EncodedString()
    }

    /// Lower-case hex, as `sha256sum` prints it.
    public static func hexDigest(of bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(hash(bytes).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }

    /// Incremental hashing, for input that arrives in pieces (an upload read in chunks).
    public struct Hasher: Sendable {
        // §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
        private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
        /// Bytes of an incomplete block, carried to the next `update`.
        private var pending: [UInt8] = []
        private var length: UInt64 = 0

        public init() { pending.reserveCapacity(64) }

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            length &+= UInt64(buffer.count)
            var input = buffer[...]
            if !pending.isEmpty {
                let take = min(64 - pending.count, input.count)
                pending += input.prefix(take)
                input = input.dropFirst(take)
                guard pending.count == 64 else { return }
                pending.withUnsafeBytes { compress(blocks: UnsafeRawBufferPointer($0)) }
                pending.removeAll(keepingCapacity: true)
            }
            let whole = input.count / 64 * 64
            if whole > 0 {
                compress(blocks: UnsafeRawBufferPointer(rebasing: input.prefix(whole)))
            }
            pending += input.dropFirst(whole)
        }

        /// §5.1.1 padding: 0x80, zeros to 56 mod 64, then the length in bits, big-endian.
        /// Ends this hasher's message: start a new `Hasher` for the next one.
        public mutating func finalize() -> [UInt8] {
            let bitLength = length &* 8
            var tail = pending
            tail.append(0x80)
            tail += [UInt8](repeating: 0, count: (120 - tail.count) % 64)
            for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            tail.withUnsafeBytes { compress(blocks: $0) }
            pending.removeAll()
            let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
            return words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * $0)) } }
        }

        /// §6.2.2 for each 64-byte block; `blocks.count` is a multiple of 64.
        private mutating func compress(blocks: UnsafeRawBufferPointer) {
            var (h0, h1, h2, h3, h4, h5, h6, h7) = state
            SHA256.roundConstants.withUnsafeBufferPointer { k in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                    var offset = 0
                    while offset < blocks.count {
                        for t in 0..<16 {
                            w[t] = UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: offset + 4 * t, as: UInt32.self))
                        }
                        for t in 16..<64 {
                            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                        }
                        var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
                        for t in 0..<64 {
                            let sigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                            let choose = (e & f) ^ (~e & g)
                            let t1 = h &+ sigma1 &+ choose &+ k[t] &+ w[t]
                            let sigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                            let majority = (a & b) ^ (a & c) ^ (b & c)
                            let t2 = sigma0 &+ majority
                            (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                        }
                        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                        offset += 64
                    }
                }
            }
            state = (h0, h1, h2, h3, h4, h5, h6, h7)
        }
    }

    // §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
