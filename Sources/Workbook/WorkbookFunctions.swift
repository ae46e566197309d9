import LambdaLab
import StandInDatabase

/// The workbook's two functions as the chapters deploy them.
public enum WorkbookFunctions {
    public enum Connect: String, Sendable { case inInit = "init", inHandler = "handler" }

    /// `worker`: connects to the stand-in database (in init or in the handler) and runs one query.
    public static func worker(name: String = "worker", database: StandInDatabase?, connect: Connect = .inInit,
                              timeout: Duration = .seconds(3)) throws -> FunctionConfiguration {
        var environment = ["WORKER_CONNECT": connect.rawValue]
        if let database { environment["WORKER_DB_ADDRESS"] = database.address }
        return FunctionConfiguration(name: name, command: [try FunctionBinaries.path(of: "worker")], environment: environment,
                                     timeout: timeout, description: "connects to the stand-in database in \(connect.rawValue)")
    }

    /// `orchestrator`: fans out to another function through the lab's Invoke API.
    public static func orchestrator(name: String = "orchestrator", timeout: Duration = .seconds(30)) throws -> FunctionConfiguration {
        FunctionConfiguration(name: name, command: [try FunctionBinaries.path(of: "orchestrator")], timeout: timeout,
                              description: "invokes a function N times at once")
    }
}
