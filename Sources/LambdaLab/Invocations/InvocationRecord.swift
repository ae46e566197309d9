import Timing

/// What happened in one invocation, as the lab measured it. Times are offsets from the lab's start.
public struct InvocationRecord: Sendable {
    public let requestID: String
    public let functionName: String
    public let executedVersion: String
    public let environmentID: String
    /// This invocation started its execution environment (its REPORT carries Init Duration).
    public let coldStart: Bool
    /// Spawn → the runtime's first `GET /next`; nil for a warm invocation.
    public let initDuration: Duration?
    /// CPU time the environment's process used in Init (kernel accounting); nil for a warm invocation.
    public let initCPUTime: Duration?
    /// Hand-out of the event (answer to `next`) → the runtime's posted response.
    public let duration: Duration
    public let billedDurationMs: Int
    public let maxMemoryUsedMB: Int
    /// The invocation reached the lab.
    public let receivedAt: Duration
    /// The environment's process was spawned (cold starts only).
    public let spawnedAt: Duration?
    /// The event was handed to the runtime.
    public let handlerStartedAt: Duration
    /// `X-Amz-Function-Error` / the error type, when the invocation failed.
    public let functionError: String?
    public let errorType: String?
    /// START, function output, END, REPORT: the invocation's part of the log stream.
    public let logLines: [String]
    /// How many invocations this environment had served, this one included.
    public let environmentInvocationNumber: Int
    /// `on-demand` or `provisioned-concurrency`: how the serving environment was initialised.
    public let initializationType: InitializationType
    /// Counted in `ProvisionedConcurrencySpilloverInvocations`: the qualifier has provisioned
    /// concurrency, but every provisioned environment was busy, so this ran on demand.
    public let spillover: Bool
}

/// The answer to an invocation, as a caller of the Invoke API gets it.
public struct InvocationResult: Sendable {
    public let requestID: String
    public let executedVersion: String
    public let payload: [UInt8]
    /// "Unhandled" when the function or runtime failed (chapters/aws-facts.md#invoke-response); nil
    /// on success.
    public let functionError: String?
    public let record: InvocationRecord?

    public var payloadText: String { String(decoding: payload, as: UTF8.self) }
}
