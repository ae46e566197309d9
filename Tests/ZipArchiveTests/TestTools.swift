// Helpers for tests that compare with other tools (Python's zipfile, Info-ZIP's zip, sha256sum):
// the zips a learner uploads are made by those tools, not by us.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ToolResult {
    let status: Int32
    let output: String
}

/// Runs a program found on PATH (through /usr/bin/env), optionally in `directory`; stdout + stderr.
func runTool(_ arguments: [String], in directory: URL? = nil) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()  // before waiting: a full pipe would block it
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Which of the other tools are installed: a test that needs a missing one is skipped, not failed
/// (`.enabled(if: Installed.zip, "zip is not installed")`). Each is looked up once per process,
/// on the PATH `runTool` runs them from.
enum Installed {
    static let python3 = onPath("python3")
    static let zip = onPath("zip")
    static let sha256sum = onPath("sha256sum")

    static func onPath(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }
}

/// A fresh folder under the system's temporary directory, removed when the value goes away.
final class TemporaryFolder: Sendable {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ZipArchiveTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // Unpacked folders may be read-only (0o555); make them writable so they can be removed.
        _ = try? runTool(["chmod", "-R", "u+rwx", url.path])
        try? FileManager.default.removeItem(at: url)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Permission bits as the file system has them (lstat: a link is reported as itself).
func permissions(_ path: String) -> UInt16? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return UInt16(info.st_mode & 0o7777)
}

func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: generator.next()) }
        initialized = count
    }
}

extension Array where Element == UInt8 {
    /// Little-endian patching of fields, for making damaged zips on purpose.
    mutating func put16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    mutating func put32(_ value: UInt32, at offset: Int) {
        put16(UInt16(truncatingIfNeeded: value), at: offset)
        put16(UInt16(truncatingIfNeeded: value >> 16), at: offset + 2)
    }

    /// Offset of the first central directory header, read from the end record (zips without a comment).
    var centralDirectoryOffset: Int {
        let end = count - 22
        return (0..<4).reduce(0) { $0 | Int(self[end + 16 + $1]) << (8 * $1) }
    }
}
