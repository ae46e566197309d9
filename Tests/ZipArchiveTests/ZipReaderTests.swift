import Foundation
import Testing
@testable import ZipArchive

/// Zips as learners make them: Python's zipfile (what many build scripts use) and Info-ZIP's `zip`.
@Suite("ZipArchive reads zips made by other tools")
struct ZipReaderTests {
    /// What the Python-made zip holds: (name, st_mode, contents). A directory ends with "/".
    static let pythonEntries: [(String, UInt16, String)] = [
        ("bootstrap", 0o100755, String(repeating: "#!/bin/sh\necho hello from bootstrap\n", count: 50)),
        ("conf/", 0o040750, ""),
        ("conf/settings.json", 0o100644, String(repeating: "{\"greeting\": \"hello\"}\n", count: 100)),
        ("conf/secret.txt", 0o100600, "s3cr3t\n"),
    ]

    /// argv: zip path, compression constant, then name/mode/contents triples. The comment makes
    /// the end record search step back over it.
    static let pythonWriter = """
        import sys, zipfile
        path, method, rest = sys.argv[1], getattr(zipfile, sys.argv[2]), sys.argv[3:]
        with zipfile.ZipFile(path, "w") as z:
            z.comment = b"built for the lab " * 20
            for name, mode, text in zip(rest[0::3], rest[1::3], rest[2::3]):
                info = zipfile.ZipInfo(name, date_time=(2024, 5, 6, 7, 8, 10))
                info.external_attr = (int(mode, 8) << 16) | (0x10 if name.endswith("/") else 0)
                info.compress_type = method
                z.writestr(info, text.encode())
        """

    static func pythonZip(in folder: TemporaryFolder, method: String, entries: [(String, UInt16, String)]) throws -> [UInt8] {
        let zipPath = folder.file("python.zip")
        let arguments = entries.flatMap { [$0.0, String($0.1, radix: 8), $0.2] }
        let result = try runTool(["python3", "-c", pythonWriter, zipPath, method] + arguments)
        #expect(result.status == 0, "python3 failed: \(result.output)")
        return fileBytes(zipPath) ?? []
    }

    @Test("Python zipfile, stored and deflated: paths, contents, modes, and unpacked files' modes",
          .enabled(if: Installed.python3, "python3 is not installed"), arguments: ["ZIP_STORED", "ZIP_DEFLATED"])
    func pythonZip(method: String) throws {
        let folder = try TemporaryFolder()
        let archive = try ZipArchive(bytes: try Self.pythonZip(in: folder, method: method, entries: Self.pythonEntries))
        #expect(archive.entries.map(\.path) == Self.pythonEntries.map(\.0))
        for (entry, (_, mode, text)) in zip(archive.entries, Self.pythonEntries) {
            #expect(entry.unixMode == mode, "\(entry.path)")
            #expect(entry.isDirectory == entry.path.hasSuffix("/"))
            if !entry.isDirectory { #expect(entry.method == (method == "ZIP_DEFLATED" ? 8 : 0), "\(entry.path)") }
            #expect(try archive.contents(of: entry) == Array(text.utf8), "\(entry.path)")
        }
        let target = folder.file("unpacked")
        try archive.unpack(to: target)
        for (name, mode, text) in Self.pythonEntries {
            #expect(permissions(target + "/" + name) == mode & 0o777, "\(name)")
            if !name.hasSuffix("/") { #expect(fileBytes(target + "/" + name) == Array(text.utf8), "\(name)") }
        }
    }

    @Test("Entries without Unix modes (made on MS-DOS) unpack as 0o644 files and 0o755 directories",
          .enabled(if: Installed.python3, "python3 is not installed"))
    func noModes() throws {
        let folder = try TemporaryFolder()
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                for name, attr in (("dir/", 0x10), ("dir/file.txt", 0)):
                    info = zipfile.ZipInfo(name)
                    info.create_system, info.external_attr = 0, attr
                    z.writestr(info, b"" if name.endswith("/") else b"plain")
            """
        #expect(try runTool(["python3", "-c", script, folder.file("dos.zip")]).status == 0)
        let archive = try ZipArchive(bytes: fileBytes(folder.file("dos.zip")) ?? [])
        #expect(archive.entries.map(\.unixMode) == [nil, nil])
        #expect(archive.entries.map(\.isDirectory) == [true, false])
        let target = folder.file("out")
        try archive.unpack(to: target)
        #expect(permissions(target + "/dir") == 0o755)
        #expect(permissions(target + "/dir/file.txt") == 0o644)
        #expect(fileBytes(target + "/dir/file.txt") == Array("plain".utf8))
    }

    /// Makes src/bootstrap (0o755), src/lib/ (0o750) and src/lib/data.txt (0o640).
    static func makeSourceTree(in folder: TemporaryFolder) throws -> URL {
        let source = folder.url.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: source.appendingPathComponent("bootstrap"))
        try Data(String(repeating: "line of data\n", count: 300).utf8).write(to: source.appendingPathComponent("lib/data.txt"))
        for (name, mode) in [("bootstrap", 0o755), ("lib/data.txt", 0o640), ("lib", 0o750)] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: source.appendingPathComponent(name).path)
        }
        return source
    }

    @Test("zip -X -r keeps Unix modes; unpack restores them", .enabled(if: Installed.zip, "zip (Info-ZIP) is not installed"))
    func infoZip() throws {
        let folder = try TemporaryFolder()
        let source = try Self.makeSourceTree(in: folder)
        let made = try runTool(["zip", "-X", "-r", "-q", folder.file("function.zip"), "."], in: source)
        #expect(made.status == 0, "zip failed: \(made.output)")
        let archive = try ZipArchive(bytes: fileBytes(folder.file("function.zip")) ?? [])
        let byPath = Dictionary(uniqueKeysWithValues: archive.entries.map { ($0.path, $0) })
        #expect(Set(byPath.keys) == ["bootstrap", "lib/", "lib/data.txt"])
        #expect(byPath["bootstrap"]?.unixMode == 0o100755)
        #expect(byPath["lib/"]?.unixMode == 0o040750)
        #expect(byPath["lib/data.txt"]?.unixMode == 0o100640)
        #expect(byPath["lib/data.txt"]?.method == 8)
        let data = try byPath["lib/data.txt"].map { try archive.contents(of: $0) }
        #expect(data == fileBytes(source.appendingPathComponent("lib/data.txt").path))

        let target = folder.file("unpacked")
        try archive.unpack(to: target)
        for (name, mode) in [("bootstrap", 0o755), ("lib", 0o750), ("lib/data.txt", 0o640)] as [(String, UInt16)] {
            #expect(permissions(target + "/" + name) == mode, "\(name)")
        }
        #expect(fileBytes(target + "/bootstrap") == Array("#!/bin/sh\necho hi\n".utf8))
    }

    @Test("zip writing to a pipe uses data descriptors (bit 3): sizes come from the central directory",
          .enabled(if: Installed.zip, "zip (Info-ZIP) is not installed"))
    func dataDescriptors() throws {
        let folder = try TemporaryFolder()
        let source = try Self.makeSourceTree(in: folder)
        let made = try runTool(["sh", "-c", "zip -X -q - bootstrap lib/data.txt | cat > ../streamed.zip"], in: source)
        #expect(made.status == 0, "zip failed: \(made.output)")
        let archive = try ZipArchive(bytes: fileBytes(folder.file("streamed.zip")) ?? [])
        #expect(archive.entries.map(\.path) == ["bootstrap", "lib/data.txt"])
        #expect(archive.entries.map(\.hasDataDescriptor) == [true, true])
        for entry in archive.entries {
            #expect(try archive.contents(of: entry) == fileBytes(source.appendingPathComponent(entry.path).path))
        }
        try archive.unpack(to: folder.file("out"))
        #expect(permissions(folder.file("out/bootstrap")) == 0o755)
    }
}
