import Foundation
import Glibc
import HTTP
import Timing
import Workbook

/// The floors, measured in the same run as the lab: what this machine allows with no lab at all.
enum Floors {
    /// A floor chain running: its emulator and runtime processes (see `FloorChain`), and the port
    /// a client invokes; stopped when it goes.
    final class RunningChain {
        let port: UInt16
        private let processes: [Process]

        init(program: String) throws {
            let own = try FunctionBinaries.path(of: program)
            let emulator = Process()
            emulator.executableURL = URL(fileURLWithPath: own)
            emulator.arguments = [program == "bench" ? "floor-emulator" : "emulator"]
            let ports = Pipe()
            emulator.standardOutput = ports
            try emulator.run()
            var text = ""
            while !text.contains("\n") {
                let data = ports.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt16($0) }
            guard numbers.count == 2 else { emulator.terminate(); throw BenchError("the floor emulator printed \(text)") }
            let runtime = Process()
            runtime.executableURL = URL(fileURLWithPath: own)
            runtime.arguments = [program == "bench" ? "floor-runtime" : "runtime", String(numbers[1])]
            try runtime.run()
            port = numbers[0]
            processes = [emulator, runtime]
        }

        deinit {
            for process in processes { process.terminate(); process.waitUntilExit() }
        }
    }

    /// The three-process chain (see `FloorChain`): this binary as emulator and as runtime, and the
    /// same client process that measures the lab.
    static func chain(calls: Int, program: String = "bench") throws -> BenchClient.Result {
        let chain = try RunningChain(program: program)
        return try client(port: chain.port, function: "floor", calls: calls, callers: 1)
    }

    /// This binary in its client role, against `port`.
    static func client(port: UInt16, function: String, calls: Int, callers: Int) throws -> BenchClient.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FunctionBinaries.path(of: "bench"))
        process.arguments = ["client", String(port), function, String(calls), String(callers)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(BenchClient.Result.self, from: data)
    }

    /// This binary in its interleaved-client role: one connection per target, `batch` calls to each
    /// in turn until each has had `calls`, so every target is measured across the same minutes of
    /// this machine's changing speed (a ratio of runs minutes apart proves little here).
    static func interleaved(_ targets: [(port: UInt16, function: String)], calls: Int, batch: Int = 250) throws -> [BenchClient.Result] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FunctionBinaries.path(of: "bench"))
        process.arguments = ["interleaved", String(calls), String(batch)] + targets.map { "\($0.port):\($0.function)" }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode([BenchClient.Result].self, from: data)
    }

    /// Spawn → `GET /next` received, for a minimal runtime (`SpawnFloor`), one at a time — the span
    /// the lab reports as Init Duration.
    static func spawn(_ binary: String, samples: Int) throws -> Summary {
        let probe = try SpawnProbe(binary)
        for _ in 0..<3 { _ = try probe.sample() }   // the first few warm the page cache
        return Summary(try (0..<samples).map { _ in try probe.sample() })
    }

    /// One spawn → `GET /next` at a time, so the benchmark can interleave floor samples with the
    /// lab's own cold starts: the machine's speed drifts within a run, and pairs drift together.
    struct SpawnProbe {
        let binary: String
        let listener: Socket
        let environment: [String]

        init(_ binary: String) throws {
            self.binary = binary
            listener = try Socket.listen()
            environment = ["AWS_LAMBDA_RUNTIME_API=127.0.0.1:\(listener.localPort)", "TZ=:UTC"]
        }

        func sample() throws -> Duration {
            let start = ContinuousClock.now
            let pid = try spawnProcess(binary, environment: environment)
            var wire = Wire(try listener.accept())
            _ = wire.read()
            let elapsed = ContinuousClock.now - start
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return elapsed
        }
    }

    private static func spawnProcess(_ path: String, environment: [String]) throws -> pid_t {
        var pid: pid_t = 0
        var arguments: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        var variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        let status = posix_spawn(&pid, path, nil, nil, &arguments, &variables)
        guard status == 0 else { throw BenchError("posix_spawn \(path): \(String(cString: strerror(status)))") }
        return pid
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
