// The reference implementations the SigV4 tests compare with are Python packages from PyPI:
// `cryptography-vectors` (NIST's SHA-256 response files, RFC 4231's HMAC cases) and `botocore`
// (the signer of boto3 and aws-cli). They are installed at test time into .build/vectors-venv,
// never committed; without python3 or PyPI the tests that need them are reported as skipped, by
// the trait `.enabled("…") { await VectorsVenv.shared.isReady() }`.
import Foundation

/// One venv for every test of the target, made once (tests run in parallel and would race pip).
actor VectorsVenv {
    static let shared = VectorsVenv()
    static let packages = ["cryptography-vectors", "botocore"]
    private var setup: Task<Result<String, SkipReason>, Never>?

    struct SkipReason: Error, CustomStringConvertible {
        let description: String
    }

    /// The venv's python, or why there is none. Installed at most once per process: every caller
    /// (each test's trait, then its body) awaits the same task.
    func python() async -> Result<String, SkipReason> {
        if let setup { return await setup.value }
        let task = Task {
            let result = await Self.install()
            // The trait's comment is fixed before the install runs: the details go to the log, once.
            if case .failure(let reason) = result { print("SigV4Tests: no venv with \(Self.packages.joined(separator: " and ")): \(reason)") }
            return result
        }
        setup = task
        return await task.value
    }

    /// The condition of the trait of every test that needs the venv.
    func isReady() async -> Bool {
        if case .success = await python() { return true }
        return false
    }

    static var directory: String { packageRoot + "/.build/vectors-venv" }

    /// Three folders up from this file: Tests/SigV4Tests/PythonVenv.swift.
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    private static func install() async -> Result<String, SkipReason> {
        let python = directory + "/bin/python"
        let probe = "import botocore, cryptography_vectors"
        if FileManager.default.isExecutableFile(atPath: python), (try? await run([python, "-c", probe]))?.status == 0 {
            return .success(python)
        }
        do {
            let venv = try await run(["python3", "-m", "venv", directory])
            guard venv.status == 0 else { return .failure(SkipReason(description: "python3 -m venv failed: \(venv.output.suffix(300))")) }
            let pip = try await run([directory + "/bin/pip", "install", "--quiet", "--disable-pip-version-check",
                                     "--timeout", "30", "--retries", "1"] + packages)
            guard pip.status == 0 else { return .failure(SkipReason(description: "pip could not install \(packages.joined(separator: ", ")) (is PyPI reachable?): \(pip.output.suffix(300))")) }
            return .success(python)
        } catch {
            return .failure(SkipReason(description: "python3 could not be run: \(error)"))
        }
    }
}

/// Whether `python3` runs at all (the lab's echo function is a Python script); asked once per process.
enum Python3 {
    static let runs = Task { (try? await run(["python3", "-c", "pass"]))?.status == 0 }
}

struct ProcessResult {
    let status: Int32
    let output: String
}

/// Runs a program found on PATH, feeding `input` to its standard input; waits without blocking a
/// thread of the test pool (pip takes seconds). Output goes through a file, so a long one never
/// fills a pipe.
func run(_ arguments: [String], input: [UInt8] = []) async throws -> ProcessResult {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("SigV4Tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let inputFile = folder.appendingPathComponent("in"), outputFile = folder.appendingPathComponent("out")
    try Data(input).write(to: inputFile)
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: inputFile)
    let output = try FileHandle(forWritingTo: outputFile)
    process.standardOutput = output
    process.standardError = output
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { process.terminationHandler = nil; continuation.resume(throwing: error) }
    }
    try output.close()
    return ProcessResult(status: status, output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
}

/// Hex text to bytes (the vector files' notation).
func bytes(hex: some StringProtocol) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for character in hex.utf8 {
        guard let nibble = UInt8(String(UnicodeScalar(character)), radix: 16) else { continue }
        if let first = high { out.append(first << 4 | nibble); high = nil } else { high = nibble }
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
