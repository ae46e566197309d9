import Contracts
import Foundation
import LambdaLab
import Timing

/// One invocation as a chapter reports it: the lab's measurements joined with the caller's latency.
public struct InvocationSummary: Codable, Sendable {
    public var requestID: String
    public var environmentID: String
    public var coldStart: Bool
    /// Spawn → first `GET /next`; null for a warm invocation.
    public var initDurationMs: Double?
    /// CPU time the process used in Init (kernel accounting); null for a warm invocation.
    public var initCPUMs: Double?
    /// Event handed to the runtime → response posted.
    public var durationMs: Double
    public var billedDurationMs: Int
    /// As the caller (the orchestrator) measured it: request sent → response read.
    public var latencyMs: Double?
    public var maxMemoryUsedMB: Int
    public var functionError: String?
    /// Offsets from the step's first arrival, for the waterfall.
    public var receivedAtMs: Double
    public var spawnedAtMs: Double?
    public var handlerStartedAtMs: Double
    /// `on-demand` or `provisioned-concurrency`: how the environment that served it was initialised.
    public var initializationType: InitializationType
    /// Ran on demand although the qualifier has provisioned concurrency (all provisioned were busy).
    public var spillover: Bool
    /// From the worker's answer: its environment's own invocation counter (state kept in memory).
    public var invocationCount: Int?
    /// From the worker's answer: a file its previous invocation wrote in TMPDIR was still there.
    public var foundScratchFile: Bool?
    /// From the worker's answer: its kept database connection was dead and it reconnected.
    public var reconnected: Bool?
    /// From the worker's answer: `AWS_LAMBDA_INITIALIZATION_TYPE` as the function itself saw it.
    public var initializationTypeSeenByFunction: String?
    /// START, function output, END, REPORT.
    public var logLines: [String]
    /// The function's own answer, as JSON.
    public var response: JSONValue?

    public init(record: InvocationRecord, latencyMs: Double?, origin: Duration, response: JSONValue?) {
        requestID = record.requestID
        environmentID = record.environmentID
        coldStart = record.coldStart
        initDurationMs = record.initDuration?.milliseconds
        initCPUMs = record.initCPUTime?.milliseconds
        durationMs = record.duration.milliseconds
        billedDurationMs = record.billedDurationMs
        self.latencyMs = latencyMs
        maxMemoryUsedMB = record.maxMemoryUsedMB
        functionError = record.functionError
        receivedAtMs = (record.receivedAt - origin).milliseconds
        spawnedAtMs = record.spawnedAt.map { ($0 - origin).milliseconds }
        handlerStartedAtMs = (record.handlerStartedAt - origin).milliseconds
        logLines = record.logLines
        initializationType = record.initializationType
        spillover = record.spillover
        self.response = response
        // The worker's answer, read with its own type (a call to another function has none).
        let answer = response?.decode(WorkerAnswer.self)
        invocationCount = answer?.invocationCount
        foundScratchFile = answer?.foundScratchFile
        reconnected = answer?.reconnected
        initializationTypeSeenByFunction = answer?.initializationType
    }

    /// One call as only its caller saw it — the orchestrator's answer from AWS, with no lab to ask:
    /// the REPORT from the call's log tail, and the worker's own answer (its log stream names the
    /// environment that served it). Times are placed on the orchestrator's clock: the call ends at
    /// its answer, its handler just before, and on a cold start its Init just before that.
    public init(call: FanOutCall) {
        let answer = call.response.decode(WorkerAnswer.self)
        let report = call.report
        requestID = call.requestID
        environmentID = answer?.logStream ?? "pid-\(answer?.pid ?? 0)"
        initDurationMs = report?.initDurationMs
        coldStart = initDurationMs != nil
        initCPUMs = nil
        durationMs = report?.durationMs ?? 0
        billedDurationMs = report?.billedDurationMs ?? 0
        latencyMs = call.latencyMs
        maxMemoryUsedMB = report?.maxMemoryUsedMB ?? 0
        functionError = call.functionError
        receivedAtMs = call.sentAtMs
        let handlerStart = call.sentAtMs + max(0, call.latencyMs - (report?.durationMs ?? 0))
        handlerStartedAtMs = handlerStart
        spawnedAtMs = report?.initDurationMs.map { handlerStart - $0 }
        initializationType = answer?.initializationType == InitializationType.provisionedConcurrency.rawValue ? .provisionedConcurrency : .onDemand
        spillover = false
        invocationCount = answer?.invocationCount
        foundScratchFile = answer?.foundScratchFile
        reconnected = answer?.reconnected
        initializationTypeSeenByFunction = answer?.initializationType
        logLines = []
        response = call.response
    }

    private enum CodingKeys: String, CodingKey {
        case requestID, environmentID, coldStart, initDurationMs, initCPUMs, durationMs, billedDurationMs, latencyMs, maxMemoryUsedMB
        case functionError, receivedAtMs, spawnedAtMs, handlerStartedAtMs, logLines, response
        case initializationType, spillover, invocationCount, foundScratchFile, reconnected, initializationTypeSeenByFunction
    }

    /// Written by hand so a warm invocation says `"initDurationMs": null` instead of leaving it out.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(environmentID, forKey: .environmentID)
        try container.encode(coldStart, forKey: .coldStart)
        try container.encode(initDurationMs, forKey: .initDurationMs)
        try container.encode(initCPUMs, forKey: .initCPUMs)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encode(billedDurationMs, forKey: .billedDurationMs)
        try container.encode(latencyMs, forKey: .latencyMs)
        try container.encode(maxMemoryUsedMB, forKey: .maxMemoryUsedMB)
        try container.encode(functionError, forKey: .functionError)
        try container.encode(receivedAtMs, forKey: .receivedAtMs)
        try container.encode(spawnedAtMs, forKey: .spawnedAtMs)
        try container.encode(handlerStartedAtMs, forKey: .handlerStartedAtMs)
        try container.encode(initializationType, forKey: .initializationType)
        try container.encode(spillover, forKey: .spillover)
        try container.encodeIfPresent(invocationCount, forKey: .invocationCount)
        try container.encodeIfPresent(foundScratchFile, forKey: .foundScratchFile)
        try container.encodeIfPresent(reconnected, forKey: .reconnected)
        try container.encodeIfPresent(initializationTypeSeenByFunction, forKey: .initializationTypeSeenByFunction)
        try container.encode(logLines, forKey: .logLines)
        try container.encodeIfPresent(response, forKey: .response)
    }
}
