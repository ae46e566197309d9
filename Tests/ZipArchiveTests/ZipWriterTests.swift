import Foundation
import Testing
@testable import ZipArchive

@Suite("ZipWriter makes reproducible bootstrap zips")
struct ZipWriterTests {
    static let files = [
        ZipWriter.File(path: "bootstrap", bytes: Array(String(repeating: "\u{7f}ELF pretend binary ", count: 400).utf8), mode: 0o755),
        ZipWriter.File(path: "lib/data.txt", bytes: Array("some data\n".utf8), mode: 0o644),
        ZipWriter.File(path: "empty", bytes: [], mode: 0o600),
    ]

    @Test("Python's zipfile accepts our zip (testzip) and sees the modes, the 1980 date and Unix origin",
          .enabled(if: Installed.python3, "python3 is not installed"))
    func readByPython() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("ours.zip")
        try Data(try ZipWriter.archive(Self.files)).write(to: URL(fileURLWithPath: path))
        let script = """
            import zipfile, sys
            z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
            print(oct(z.getinfo("bootstrap").external_attr >> 16))
            for i in z.infolist():
                print(i.filename, oct(i.external_attr >> 16), i.compress_type, i.create_system, i.date_time, len(z.read(i)), len(i.extra))
            """
        let result = try runTool(["python3", "-c", script, path])
        #expect(result.status == 0, "python3: \(result.output)")
        #expect(result.output.split(separator: "\n") == [
            "0o100755",
            "bootstrap 0o100755 8 3 (1980, 1, 1, 0, 0, 0) \(Self.files[0].bytes.count) 0",
            "lib/data.txt 0o100644 0 3 (1980, 1, 1, 0, 0, 0) 10 0",  // 10 bytes do not shrink: stored
            "empty 0o100600 0 3 (1980, 1, 1, 0, 0, 0) 0 0",
        ])
    }

    @Test("Our reader reads our zip back: order, contents, modes, methods; unpacked bootstrap is executable")
    func readByUs() throws {
        let archive = try ZipArchive(bytes: try ZipWriter.archive(Self.files))
        #expect(archive.entries.map(\.path) == Self.files.map(\.path))
        #expect(archive.entries.map(\.unixMode) == [0o100755, 0o100644, 0o100600])
        #expect(archive.entries.map(\.method) == [8, 0, 0])
        #expect(archive.entries[0].compressedSize < archive.entries[0].uncompressedSize)
        for (entry, file) in zip(archive.entries, Self.files) {
            #expect(try archive.contents(of: entry) == file.bytes, "\(entry.path)")
        }
        let folder = try TemporaryFolder()
        try archive.unpack(to: folder.file("out"))
        #expect(permissions(folder.file("out/bootstrap")) == 0o755)
        #expect(permissions(folder.file("out/lib/data.txt")) == 0o644)
        #expect(fileBytes(folder.file("out/bootstrap")) == Self.files[0].bytes)
    }

    @Test("The same input archived twice gives identical bytes; a different mode gives different bytes")
    func reproducible() throws {
        let first = try ZipWriter.archive(Self.files)
        let second = try ZipWriter.archive(Self.files)
        #expect(first == second)
        var changed = Self.files
        changed[0].mode = 0o644
        #expect(try ZipWriter.archive(changed) != first)
    }

    @Test("Incompressible data and compress: false are stored, byte for byte")
    func stored() throws {
        let noise = randomBytes(4096)
        let archive = try ZipArchive(bytes: try ZipWriter.archive([.init(path: "noise", bytes: noise, mode: 0o644)]))
        #expect(archive.entries[0].method == 0)
        #expect(archive.entries[0].compressedSize == noise.count)
        #expect(try archive.contents(of: archive.entries[0]) == noise)
        let plain = try ZipArchive(bytes: try ZipWriter.archive(Self.files, compress: false))
        #expect(plain.entries.map(\.method) == [0, 0, 0])
        #expect(try plain.contents(of: plain.entries[0]) == Self.files[0].bytes)
    }

    @Test("The writer refuses paths that would escape the folder", arguments: ["../x", "/abs", "a/../../b", ""])
    func unsafePaths(path: String) {
        #expect(throws: ZipError.self) { try ZipWriter.archive([.init(path: path, bytes: [1], mode: 0o644)]) }
    }
}
