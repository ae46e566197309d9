import Foundation
import Testing
@testable import ZipArchive

@Suite("ZipArchive refuses bad zips with messages a learner understands")
struct ZipErrorTests {
    static let script = Array("#!/bin/sh\necho hi\n".utf8)

    /// A one-entry stored zip made by our writer: the entry's data starts at 30 + 9 ("bootstrap").
    static func storedZip() throws -> [UInt8] {
        try ZipWriter.archive([.init(path: "bootstrap", bytes: script, mode: 0o755)], compress: false)
    }

    @Test("Bytes that are not a zip")
    func notAZip() {
        #expect(throws: ZipError.notAZip) { try ZipArchive(bytes: Array("hello, this is not a zip".utf8)) }
        #expect(throws: ZipError.notAZip) { try ZipArchive(bytes: []) }
        #expect(ZipError.notAZip.description == "not a zip file (no end of central directory record)")
    }

    @Test("A zip cut short (an interrupted upload) is reported as truncated")
    func truncated() throws {
        let zip = try Self.storedZip()
        for cut in [10, 30, zip.count - 40] {
            let error = #expect(throws: ZipError.self) { try ZipArchive(bytes: Array(zip.dropLast(cut))) }
            guard case .truncated = error else { Issue.record("cut \(cut): \(String(describing: error))"); continue }
        }
    }

    @Test("Absolute paths and '..' are refused before anything is written", .enabled(if: Installed.python3, "python3 is not installed"),
          arguments: ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
    func zipSlip(path: String) throws {
        let folder = try TemporaryFolder()
        let zipPath = folder.file("slip.zip")
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                z.writestr("ok.txt", b"fine"); z.writestr(zipfile.ZipInfo(sys.argv[2]), b"gotcha")
            """
        #expect(try runTool(["python3", "-c", script, zipPath, path]).status == 0)
        let archive = try ZipArchive(bytes: fileBytes(zipPath) ?? [])
        #expect(archive.entries.map(\.path) == ["ok.txt", path])
        let target = folder.file("deep/target")
        #expect(throws: ZipError.unsafePath(path)) { try archive.unpack(to: target) }
        #expect(!FileManager.default.fileExists(atPath: folder.file("deep/evil.txt")))
        #expect(!FileManager.default.fileExists(atPath: target + "/ok.txt"))
    }

    @Test("A flipped byte in stored data is a CRC mismatch, in contents(of:) and in unpack")
    func crcMismatch() throws {
        var zip = try Self.storedZip()
        #expect(Array(zip[39..<(39 + Self.script.count)]) == Self.script)
        zip[45] ^= 0x01
        let archive = try ZipArchive(bytes: zip)
        #expect(throws: ZipError.crcMismatch(entry: "bootstrap")) { try archive.contents(of: archive.entries[0]) }
        let folder = try TemporaryFolder()
        #expect(throws: ZipError.crcMismatch(entry: "bootstrap")) { try archive.unpack(to: folder.file("out")) }
        #expect(ZipError.crcMismatch(entry: "bootstrap").description.hasPrefix("entry bootstrap: CRC mismatch"))
    }

    @Test("Damaged deflate data is refused")
    func damagedDeflate() throws {
        var zip = try ZipWriter.archive([.init(path: "big", bytes: Array(repeating: 65, count: 10_000), mode: 0o644)])
        #expect(try ZipArchive(bytes: zip).entries[0].method == 8)
        zip[30 + 3 + 2] ^= 0xff  // the data follows the 30-byte local header and the 3-byte name
        let archive = try ZipArchive(bytes: zip)
        #expect(throws: ZipError.self) { try archive.contents(of: archive.entries[0]) }
    }

    @Test("Other methods, encryption and ZIP64 sizes are named in the error")
    func unsupported() throws {
        let zip = try Self.storedZip()
        let central = zip.centralDirectoryOffset
        var bzip2 = zip
        bzip2.put16(12, at: central + 10)
        let archive = try ZipArchive(bytes: bzip2)
        #expect(throws: ZipError.unsupportedMethod(12, entry: "bootstrap")) { try archive.contents(of: archive.entries[0]) }
        #expect(ZipError.unsupportedMethod(12, entry: "x").description.hasPrefix("unsupported compression method 12 (bzip2) in entry x"))

        var encrypted = zip
        encrypted.put16(1, at: central + 8)
        let locked = try ZipArchive(bytes: encrypted)
        let folder = try TemporaryFolder()
        #expect(throws: ZipError.encrypted(entry: "bootstrap")) { try locked.unpack(to: folder.file("out")) }
        #expect(throws: ZipError.encrypted(entry: "bootstrap")) { try locked.contents(of: locked.entries[0]) }

        var zip64 = zip
        zip64.put32(0xFFFF_FFFF, at: central + 24)
        let error = #expect(throws: ZipError.self) { try ZipArchive(bytes: zip64) }
        guard case .zip64 = error else { Issue.record("expected .zip64, got \(String(describing: error))"); return }
    }

    @Test("Symbolic links are refused", .enabled(if: Installed.python3, "python3 is not installed"))
    func symlink() throws {
        let folder = try TemporaryFolder()
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                info = zipfile.ZipInfo("link"); info.external_attr = 0o120777 << 16; z.writestr(info, b"/etc/passwd")
            """
        #expect(try runTool(["python3", "-c", script, folder.file("link.zip")]).status == 0)
        let archive = try ZipArchive(bytes: fileBytes(folder.file("link.zip")) ?? [])
        #expect(archive.entries.first?.isSymlink == true)
        #expect(throws: ZipError.symlink(entry: "link")) { try archive.unpack(to: folder.file("out")) }
        #expect(permissions(folder.file("out/link")) == nil)
    }

    @Test("The unzipped size limit (AWS: 262,144,000 bytes) is enforced and named")
    func sizeLimit() throws {
        #expect(ZipArchive.defaultMaxUncompressedSize == 262_144_000)
        let zip = try ZipWriter.archive([.init(path: "a", bytes: Array(repeating: 0, count: 600), mode: 0o644),
                                         .init(path: "b", bytes: Array(repeating: 1, count: 600), mode: 0o644)])
        let archive = try ZipArchive(bytes: zip, maxUncompressedSize: 1000)
        let folder = try TemporaryFolder()
        #expect(throws: ZipError.tooLarge(total: 1200, limit: 1000)) { try archive.unpack(to: folder.file("out")) }
        #expect(ZipError.tooLarge(total: 1200, limit: 1000).description.contains("limit of 1000 bytes"))
        try ZipArchive(bytes: zip, maxUncompressedSize: 1200).unpack(to: folder.file("fits"))
        #expect(fileBytes(folder.file("fits/b")) == Array(repeating: 1, count: 600))
    }
}
