import Contracts
import Foundation
import LabRuntime

// Init: build the environment's state once. `initialize` reports a failure (a database that cannot
// be reached) to /runtime/init/error before the process exits.
let state = LambdaRuntime.initialize { try WorkerState(environment: ProcessInfo.processInfo.environment) }

// Invoke: the handler serves each event, for the rest of the environment's life — one at a time on
// Lambda's default, up to AWS_LAMBDA_MAX_CONCURRENCY at once on Managed Instances.
let runtime = LambdaManagedRuntime(lambdaHandler: WorkerHandler(state: state))
try await runtime.run()

/// The worker as a `LambdaHandler`: the state Init built, and what one invocation does with it.
struct WorkerHandler: LambdaHandler {
    let state: WorkerState

    func handle(_ event: WorkerEvent, context: LambdaContext) throws -> WorkerAnswer {
        if let message = event.fail { throw FunctionError(type: "WorkerError", message: message) }
        if let status = event.exit { exit(status) }
        if let hang = event.hangMs { usleep(UInt32(hang) * 1000) }
        if let bytes = event.logBytes {
            let line = String(repeating: "x", count: 99)
            for _ in 0..<(bytes / 100) { print(line) }
        }

        let (count, inFlight) = state.beginInvocation()
        defer { state.endInvocation() }
        var row: String?
        var reconnected = false
        if state.address != nil {
            (row, reconnected) = try state.query(event.key ?? "invocation-\(count)", slowMs: event.queryMs)
        }
        return WorkerAnswer(invocationCount: count, connectedIn: state.connectInInit ? "init" : "handler", row: row,
                            connectionsOpened: state.connectionsOpened, reconnected: reconnected,
                            // Concurrent invocations must not write one file: each names its own.
                            foundScratchFile: touchScratchFile(state.maxConcurrency == 1 ? state.scratchFile : state.scratchFile + "-" + context.requestID),
                            initializationType: state.initializationType,
                            pid: getpid(), logStream: state.logStream, inFlightInEnvironment: inFlight)
    }
}

/// Writes a marker in TMPDIR and says whether an earlier invocation's marker was already there.
/// Plain `open`, rewriting in place: FileManager would write atomically (temporary file, rename,
/// journal), and on ext4 truncate-then-write makes the kernel flush the file to disk every time.
func touchScratchFile(_ path: String) -> Bool {
    let existed = access(path, F_OK) == 0
    let fd = open(path, O_WRONLY | O_CREAT, 0o644)
    if fd >= 0 {
        let line = Array("\(getpid())\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
    return existed
}
