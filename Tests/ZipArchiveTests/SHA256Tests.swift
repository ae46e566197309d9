import Foundation
import Testing
import Digests
import ZipArchive

@Suite("SHA256 (CodeSha256)")
struct SHA256Tests {
    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): empty, one block, two blocks after padding.
    @Test("NIST short vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func shortVectors(message: String, digest: String) {
        #expect(SHA256.hexDigest(of: Array(message.utf8)) == digest)
        #expect(SHA256.hash(Array(message.utf8)).count == 32)
    }

    @Test("One million 'a'")
    func millionA() {
        #expect(SHA256.hexDigest(of: Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("Fed in pieces of awkward sizes, the digest is the same as in one piece")
    func incremental() {
        let bytes = randomBytes(10_000)
        for piece in [1, 55, 63, 64, 65, 1000] {
            var hasher = SHA256.Hasher()
            var start = 0
            while start < bytes.count {
                hasher.update(Array(bytes[start..<min(start + piece, bytes.count)]))
                start += piece
            }
            #expect(hasher.finalize() == SHA256.hash(bytes), "pieces of \(piece)")
        }
    }

    @Test("1 MB of random bytes: same digest as sha256sum", .enabled(if: Installed.sha256sum, "sha256sum is not installed"))
    func againstSha256sum() throws {
        let folder = try TemporaryFolder()
        let bytes = randomBytes(1 << 20)
        try Data(bytes).write(to: folder.url.appendingPathComponent("random.bin"))
        let result = try runTool(["sha256sum", folder.file("random.bin")])
        #expect(result.status == 0)
        #expect(result.output.prefix(64) == SHA256.hexDigest(of: bytes))
    }

    @Test("CodeSha256 of no bytes is base64 of the empty digest")
    func codeSha256OfEmpty() {
        #expect(SHA256.base64Digest(of: []) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    }

    @Test("CodeSha256 is base64 of the digest, as Python's hashlib + base64 compute it for a zip",
          .enabled(if: Installed.python3, "python3 is not installed"))
    func codeSha256() throws {
        let folder = try TemporaryFolder()
        let zip = try ZipWriter.archive([.init(path: "bootstrap", bytes: randomBytes(50_000), mode: 0o755)])
        try Data(zip).write(to: folder.url.appendingPathComponent("function.zip"))
        let script = "import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1], 'rb').read()).digest()).decode())"
        let result = try runTool(["python3", "-c", script, folder.file("function.zip")])
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == SHA256.base64Digest(of: zip))
    }

    @Test("50 MB (a large deployment package) hashes in well under the time of an upload")
    func speed() {
        let bytes = [UInt8](repeating: 0x5a, count: 50 << 20)
        let clock = ContinuousClock()
        var digest: [UInt8] = []
        let elapsed = clock.measure { digest = SHA256.hash(bytes) }
        print("SHA-256 of 50 MB: \(elapsed)")
        #expect(digest.count == 32)
        // Generous for a shared 2-core machine; a per-byte allocation would take tens of seconds.
        #expect(elapsed < .seconds(10))
    }
}
