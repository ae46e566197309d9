/// The worker's event and answer: what the chapters (through the orchestrator) ask of it, and
/// what it reports about its execution environment.

/// Every field is optional: `key` (what to query), `queryMs` (ask the database for a slow query
/// that takes this long — modeled, like all its latency), and the failure modes the tests use:
/// `fail` (throw an error with this message), `exit` (exit the process with this status),
/// `hangMs` (do not answer for this long, to hit the function timeout), `logBytes` (print about
/// this many bytes of log, in 100-byte lines, to test what the lab keeps).
public struct WorkerEvent: Codable, Sendable, Equatable {
    public var key: String?
    public var queryMs: Int?
    public var fail: String?
    public var exit: Int32?
    public var hangMs: Int?
    public var logBytes: Int?

    public init(key: String? = nil, queryMs: Int? = nil, fail: String? = nil, exit: Int32? = nil, hangMs: Int? = nil, logBytes: Int? = nil) {
        self.key = key
        self.queryMs = queryMs
        self.fail = fail
        self.exit = exit
        self.hangMs = hangMs
        self.logBytes = logBytes
    }
}

public struct WorkerAnswer: Codable, Sendable, Equatable {
    /// This environment's own count of invocations: state that survives between warm invocations.
    public var invocationCount: Int
    public var connectedIn: String
    public var row: String?
    /// Connections this environment opened to the database, including reconnects.
    public var connectionsOpened: Int
    public var reconnected: Bool
    /// A file in TMPDIR (the environment's /tmp) written by the previous invocation was still there.
    public var foundScratchFile: Bool
    /// `AWS_LAMBDA_INITIALIZATION_TYPE` as this environment sees it: on-demand or provisioned-concurrency.
    public var initializationType: String
    public var pid: Int32
    /// `AWS_LAMBDA_LOG_STREAM_NAME`: one per execution environment, so calls can be grouped by the
    /// environment that served them even where the caller sees no lab (on AWS).
    public var logStream: String?
    /// Invocations running in this environment when this one's handler started, itself included:
    /// always 1 on Lambda's default; up to `AWS_LAMBDA_MAX_CONCURRENCY` on Managed Instances.
    public var inFlightInEnvironment: Int?

    public init(invocationCount: Int, connectedIn: String, row: String?, connectionsOpened: Int, reconnected: Bool,
                foundScratchFile: Bool, initializationType: String, pid: Int32, logStream: String? = nil,
                inFlightInEnvironment: Int? = nil) {
        self.inFlightInEnvironment = inFlightInEnvironment
        self.invocationCount = invocationCount
        self.connectedIn = connectedIn
        self.row = row
        self.connectionsOpened = connectionsOpened
        self.reconnected = reconnected
        self.foundScratchFile = foundScratchFile
        self.initializationType = initializationType
        self.pid = pid
        self.logStream = logStream
    }
}
