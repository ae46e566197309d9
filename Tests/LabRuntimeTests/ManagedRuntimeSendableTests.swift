import Foundation
import Testing

/// `LambdaManagedRuntime` shares one handler among concurrent invocations, so it must be
/// `Sendable` — and the compiler, not a test at run time, is what says so. Each case type-checks a
/// small program against the built `LabRuntime` module with the toolchain's `swiftc`.
enum Toolchain {
    /// The toolchain's `swiftc`, found on PATH.
    static let swiftc: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/swiftc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("LambdaManagedRuntime: the compiler refuses a handler that is not Sendable",
       .enabled(if: Toolchain.swiftc != nil, "swiftc is not on PATH"))
struct ManagedRuntimeSendableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Type-checks `source` with LabRuntime importable; returns swiftc's status and its output.
    static func typecheck(_ source: String) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sendable-\(UUID().uuidString).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Toolchain.swiftc))
        process.arguments = ["-swift-version", "6", "-typecheck", "-I", root.appendingPathComponent(".build/debug/Modules").path,
                             "-Xcc", "-fmodule-map-file=" + root.appendingPathComponent("Sources/CEventLoop/module.modulemap").path,
                             "-Xcc", "-fmodule-map-file=" + root.appendingPathComponent("Sources/COpenSSL/module.modulemap").path,
                             file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test("a handler with unprotected mutable state: 'does not conform to the Sendable protocol'")
    func refused() throws {
        let (status, output) = try Self.typecheck("""
            import LabRuntime
            final class Counter { var count = 0 }
            struct Handler: LambdaHandler {
                let counter = Counter()
                func handle(_ event: [String: Int], context: LambdaContext) throws -> Int { counter.count += 1; return counter.count }
            }
            let runtime = LambdaManagedRuntime(lambdaHandler: Handler())
            """)
        #expect(status != 0)
        #expect(output.contains("type 'Handler' does not conform to the 'Sendable' protocol"), "\(output)")
    }

    @Test("the same handler with its state behind a Mutex compiles")
    func accepted() throws {
        let (status, output) = try Self.typecheck("""
            import LabRuntime
            import Synchronization
            final class Counter: Sendable { let count = Mutex(0) }
            struct Handler: LambdaHandler {
                let counter = Counter()
                func handle(_ event: [String: Int], context: LambdaContext) throws -> Int { counter.count.withLock { $0 += 1; return $0 } }
            }
            let runtime = LambdaManagedRuntime(lambdaHandler: Handler())
            """)
        #expect(status == 0, "\(output)")
    }
}
