import Digests
import Foundation
import Testing

/// SigV4 stands on SHA-256 and HMAC-SHA256: every NIST CAVS SHA-256 byte-oriented vector and
/// every RFC 4231 HMAC-SHA256 case, read from PyPI's `cryptography-vectors` (the files pyca's
/// cryptography tests itself with), installed at test time.
@Suite("HMAC-SHA256 and SHA256 against NIST and RFC 4231 vectors", .timeLimit(.minutes(3)))
struct DigestVectorTests {
    /// `Len = … / Msg = … / (Key = …) / MD = …` records; `Len` is the message length in bits
    /// (the empty message is written `Msg = 00` with `Len = 0`).
    struct Vector {
        var length = 0
        var key: [UInt8] = []
        var message: [UInt8] = []
        var digest: [UInt8] = []
    }

    static func vectors(in text: String) -> [Vector] {
        var vectors: [Vector] = []
        var current = Vector()
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !line.hasPrefix("#") else { continue }
            switch parts[0] {
            case "Len": current = Vector(length: Int(parts[1]) ?? -1)
            case "Key": current.key = bytes(hex: parts[1])
            case "Msg": current.message = Array(bytes(hex: parts[1]).prefix(current.length / 8))
            case "MD":
                current.digest = bytes(hex: parts[1])
                vectors.append(current)
            default: break
            }
        }
        return vectors
    }

    /// The installed package's folder. The venv is there: the test's trait checked.
    static func vectorsFolder() async throws -> String {
        let python = try await VectorsVenv.shared.python().get()
        let found = try await run([python, "-c", "import cryptography_vectors, os; print(os.path.dirname(cryptography_vectors.__file__))"])
        try #require(found.status == 0, "\(found.output)")
        return found.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func read(_ folder: String, _ path: String) throws -> String {
        try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }

    @Test("SHA256ShortMsg.rsp and SHA256LongMsg.rsp: every message hashes to NIST's digest, whole and fed in pieces",
          .enabled("cryptography-vectors could not be installed into .build/vectors-venv (no python3, or PyPI out of reach)") { await VectorsVenv.shared.isReady() })
    func nistSHA256() async throws {
        let folder = try await Self.vectorsFolder()
        for file in ["hashes/SHA2/SHA256ShortMsg.rsp", "hashes/SHA2/SHA256LongMsg.rsp"] {
            let vectors = Self.vectors(in: try Self.read(folder, file))
            // 65 short (0 to 512 bits) and 64 long messages: a file read wrong must not pass as empty.
            #expect(vectors.count >= 64, "\(file): \(vectors.count) vectors")
            for vector in vectors {
                #expect(vector.message.count * 8 == vector.length, "\(file) Len = \(vector.length)")
                #expect(SHA256.hash(vector.message) == vector.digest, "\(file) Len = \(vector.length)")
                var hasher = SHA256.Hasher()
                for start in stride(from: 0, to: vector.message.count, by: 37) {
                    hasher.update(Array(vector.message[start..<min(start + 37, vector.message.count)]))
                }
                #expect(hasher.finalize() == vector.digest, "\(file) Len = \(vector.length), in pieces of 37")
            }
        }
    }

    @Test("rfc-4231-sha256.txt: every HMAC-SHA256 case, keys shorter and longer than a block",
          .enabled("cryptography-vectors could not be installed into .build/vectors-venv (no python3, or PyPI out of reach)") { await VectorsVenv.shared.isReady() })
    func rfc4231() async throws {
        let folder = try await Self.vectorsFolder()
        let vectors = Self.vectors(in: try Self.read(folder, "HMAC/rfc-4231-sha256.txt"))
        #expect(vectors.count == 6, "the file has RFC 4231's cases 1–4, 6 and 7 (5, truncation, is left out)")
        #expect(vectors.contains { $0.key.count > 64 }, "a key longer than SHA-256's block is hashed first")
        for vector in vectors {
            #expect(HMACSHA256.authenticationCode(for: vector.message, key: vector.key) == vector.digest,
                    "key \(hexString(vector.key).prefix(16))…, Len = \(vector.length)")
        }
    }

    /// Without PyPI the two tests above skip; these cases (RFC 4231 §4.2, §4.3, §4.7, copied from
    /// the RFC) still hold HMAC to account, and the last catches a key padded instead of hashed.
    @Test("RFC 4231 test cases 1, 2 and 7, written out", arguments: [
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("4a656665", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (String(repeating: "aa", count: 131),
         "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func writtenOut(key: String, message: String, mac: String) {
        #expect(hexString(HMACSHA256.authenticationCode(for: Array(message.utf8), key: bytes(hex: key))) == mac)
        #expect(hexString(HMACSHA256.authenticationCode(for: message, key: bytes(hex: key))) == mac)
    }
}
