import Foundation
import Testing
import Workbook

/// The functions are linked as a `provided.al2023` bootstrap must be: the Swift runtime and
/// Foundation inside the binary, glibc outside it — and without legacy Foundation's ICU data,
/// whose loading would cost every cold start about a millisecond.
@Suite("Function binaries")
struct FunctionBinaryTests {
    @Test("worker and orchestrator need no Swift or Foundation shared library", arguments: ["worker", "orchestrator"])
    func staticallyLinked(name: String) throws {
        let path = try FunctionBinaries.path(of: name)
        let needed = try dynamicLibraries(path)
        #expect(needed.contains { $0.hasPrefix("libc.so") }, "\(needed)")
        #expect(!needed.contains { $0.hasPrefix("libswift") || $0.hasPrefix("libFoundation") || $0.hasPrefix("libdispatch") }, "\(needed)")
    }

    /// `DT_NEEDED` entries, read by `readelf -d` (binutils).
    func dynamicLibraries(_ path: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["readelf", "-d", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "readelf failed on \(path)")
        return text.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.split(separator: "[").last?.split(separator: "]").first.map(String.init)
        }
    }
}
