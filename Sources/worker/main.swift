import Foundation
import LabRuntime

// Two lines of runtime wiring: Init builds the state, the handler serves each invocation.
LambdaRuntime.run(initialize: { try WorkerState(environment: ProcessInfo.processInfo.environment) },
                  handler: handle)

func handle(_ state: WorkerState, _ event: WorkerEvent, _ context: LambdaContext) throws -> WorkerOutput {
    if let message = event.fail { throw FunctionError(type: "WorkerError", message: message) }
    if let status = event.exit { exit(status) }
    if let hang = event.hangMs { Thread.sleep(forTimeInterval: Double(hang) / 1000) }

    let (count, _) = state.nextInvocation()
    var row: String?
    var reconnected = false
    if state.address != nil {
        (row, reconnected) = try state.query(event.key ?? "invocation-\(count)")
    }
    return WorkerOutput(invocationCount: count, connectedIn: state.connectInInit ? "init" : "handler", row: row,
                        connectionsOpened: state.connectionsOpened, reconnected: reconnected,
                        foundScratchFile: touchScratchFile(),
                        initializationType: ProcessInfo.processInfo.environment["AWS_LAMBDA_INITIALIZATION_TYPE"] ?? "unknown",
                        pid: getpid())
}

/// Writes a marker in TMPDIR and says whether an earlier invocation's marker was already there.
func touchScratchFile() -> Bool {
    let path = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/worker-was-here"
    let existed = FileManager.default.fileExists(atPath: path)
    _ = FileManager.default.createFile(atPath: path, contents: Data("\(getpid())\n".utf8))
    return existed
}
