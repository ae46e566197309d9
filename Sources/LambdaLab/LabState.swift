import Foundation
import RuntimeAPI
import Timing

/// Everything the lab knows, guarded by one lock in `Lab`. Each transition takes microseconds, so one
/// lock is simpler than many and never the bottleneck next to a process start or a socket hop.
struct LabState {
    var functions: [String: FunctionState] = [:]
    var environments: [String: EnvironmentState] = [:]
    var inFlight: [String: InFlightInvocation] = [:]
    /// The most recent finished invocations (a window bounded by `LabConfiguration.recordLimit` and
    /// `recordLogBytesLimit`), oldest first.
    var records: [InvocationRecord] = []
    /// Log bytes held by `records`.
    var recordLogBytes = 0
    /// Invocations finished, per function, since the lab began (records are only a window).
    var invocationsByFunction: [String: Int] = [:]
    var environmentsStarted = 0
    /// Environments started, per function.
    var startedByFunction: [String: Int] = [:]
    var stopped = false
    /// Callers waiting for an environment to be gone (its process reaped).
    var goneWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    var shutdowns: [ShutdownRecord] = []
    /// Asynchronous invocation settings, by "function:qualifier" ($LATEST when unqualified).
    var eventConfigs: [String: EventInvokeConfig] = [:]
    var eventCounts: [String: EventCounts] = [:]
    /// Accepted events not yet ended, by request ID.
    var queuedEvents: [String: QueuedEvent] = [:]
    /// How the most recent events ended (a window, as `records`).
    var eventEndings: [EventEnding] = []
    /// Callers waiting for a function's queue to settle (`Lab.waitForQueuedEvents`).
    var queueWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Each function's allowance for new environments (`LabConfiguration.scalingRate`).
    var scalingBuckets: [String: ScalingBucket] = [:]
    /// Invocations in flight, per function: kept as counts so routing never scans `inFlight`.
    private(set) var inFlightByFunction: [String: Int] = [:]
    /// Idle environments per function version, least recently used first. Routing picks from the end
    /// in O(1) instead of scanning every environment — at a burst of 200 that scan was most of the
    /// lab's cost per arrival.
    private(set) var idle: [VersionKey: [IdleEntry]] = [:]

    struct VersionKey: Hashable {
        let function: String
        let version: String
    }

    struct IdleEntry {
        let environmentID: String
        let provisionedFor: String?
    }

    func inFlightCount(function: String) -> Int { inFlightByFunction[function] ?? 0 }

    func inFlightUnreserved() -> Int {
        inFlight.count - functions.reduce(0) { $0 + ($1.value.reservedConcurrency == nil ? 0 : inFlightCount(function: $1.key)) }
    }

    mutating func addInFlight(_ invocation: InFlightInvocation) {
        inFlight[invocation.requestID] = invocation
        inFlightByFunction[invocation.functionName, default: 0] += 1
    }

    mutating func removeInFlight(_ requestID: String) -> InFlightInvocation? {
        guard let invocation = inFlight.removeValue(forKey: requestID) else { return nil }
        inFlightByFunction[invocation.functionName, default: 1] -= 1
        return invocation
    }

    // MARK: Idle environments

    /// The environment has no invocation and may be reused: it goes to the end (most recently used).
    mutating func markIdle(_ environmentID: String) {
        guard let environment = environments[environmentID] else { return }
        let key = VersionKey(function: environment.functionName, version: environment.version)
        idle[key, default: []].removeAll { $0.environmentID == environmentID }
        idle[key, default: []].append(IdleEntry(environmentID: environmentID, provisionedFor: environment.provisionedFor))
    }

    /// The environment was assigned an invocation, or is going away.
    mutating func leaveIdle(_ environmentID: String) {
        guard let environment = environments[environmentID] else {
            for key in idle.keys { idle[key]!.removeAll { $0.environmentID == environmentID } }
            return
        }
        idle[VersionKey(function: environment.functionName, version: environment.version)]?.removeAll { $0.environmentID == environmentID }
    }

    /// The router's candidates among the idle environments of a version: the most recently used
    /// provisioned one for `provisionedQualifier` (if any) and the most recently used on-demand one.
    /// Provisioned environments serve only invocations through the qualifier they were provisioned for.
    func idleCandidates(function: String, version: String, provisionedQualifier: String?) -> [Router.Candidate] {
        guard let entries = idle[VersionKey(function: function, version: version)] else { return [] }
        var candidates: [Router.Candidate] = []
        if provisionedQualifier != nil, let entry = entries.last(where: { $0.provisionedFor != nil && $0.provisionedFor == provisionedQualifier }) {
            candidates.append(Router.Candidate(environmentID: entry.environmentID, isProvisioned: true))
        }
        if let entry = entries.last(where: { $0.provisionedFor == nil }) {
            candidates.append(Router.Candidate(environmentID: entry.environmentID, isProvisioned: false))
        }
        return candidates
    }

    var totalReserved: Int { functions.values.compactMap(\.reservedConcurrency).reduce(0, +) }
}

/// A function and what the control plane holds for it.
struct FunctionState {
    /// `$LATEST`.
    var latest: FunctionConfiguration
    var lastModified = Date()
    /// Published versions "1", "2", …: frozen copies of the configuration.
    var versions: [String: FunctionConfiguration] = [:]
    var lastVersion = 0
    var aliases: [String: AliasConfiguration] = [:]
    var reservedConcurrency: Int?
    /// Provisioned concurrency configurations, by the qualifier they were put on.
    var provisioned: [String: ProvisionedState] = [:]

    /// The provisioned configuration whose environments may serve an invocation through `qualifier`:
    /// the one on that alias or version, or the one on the version an alias points to.
    func provisionedConfiguration(for qualifier: String?, version: String) -> String? {
        if let qualifier, provisioned[qualifier] != nil { return qualifier }
        return provisioned[version] != nil ? version : nil
    }

    /// The version a qualifier names: nil → $LATEST, a number → that version, else an alias.
    func resolve(_ qualifier: String?) -> (version: String, configuration: FunctionConfiguration)? {
        guard let qualifier, qualifier != "$LATEST" else { return ("$LATEST", latest) }
        if let configuration = versions[qualifier] { return (qualifier, configuration) }
        if let alias = aliases[qualifier] { return resolve(alias.functionVersion) }
        return nil
    }
}

/// An invocation between its arrival and its answer.
struct InFlightInvocation {
    let requestID: String
    let functionName: String
    let version: String
    let invokedARN: String
    let payload: [UInt8]
    let timeout: Duration
    let receivedAt: Instant
    let complete: @Sendable (Result<InvocationResult, LabError>) -> Void
    var environmentID: String
    var coldStart: Bool
    /// The qualifier has provisioned concurrency, but this invocation runs on an on-demand environment.
    var spillover = false
    var handedOutAt: Instant?
    /// Moved to a new environment after its first one died before running it (at most once).
    var moved = false
    var logLines: [String] = []
    var logBytes = 0
    /// START was printed (at hand-out); an invocation that ends before (an Init error) prints it with END.
    var startLogged = false
    /// The invocation's timeout on the deadline thread, cancelled when it finishes.
    var timeoutToken: UInt64?
}

/// What a parked `GET /next` receives.
enum NextAnswer: Sendable {
    case event(NextEvent)
    /// The environment is shutting down: answer 500 so the runtime exits
    /// (chapters/aws-facts.md#runtime-api-endpoints).
    case stop
    /// A newer `GET /next` from the same environment replaced this one.
    case superseded
}

/// The event as the runtime receives it in answer to `GET /next`
/// (chapters/aws-facts.md#next-event-headers).
struct NextEvent: Sendable {
    let requestID: String
    let deadlineMs: Int64
    let invokedARN: String
    let traceID: String
    let payload: [UInt8]

    var response: HTTPResponse {
        HTTPResponse(status: 200, headers: [
            AmazonHeaders.requestID: requestID,
            AmazonHeaders.deadline: String(deadlineMs),
            AmazonHeaders.invokedFunctionARN: invokedARN,
            AmazonHeaders.traceID: traceID,
            "Content-Type": "application/json",
        ], body: payload)
    }
}

/// A provisioned concurrency configuration and its allocation.
struct ProvisionedState {
    var requested: Int
    /// The version its environments run.
    var version: String
    var environmentIDs: Set<String> = []
    /// Environments whose Init is done (they are parked in their first `GET /next`).
    var ready: Set<String> = []
    var status = ProvisionedConcurrencyStatus.inProgress
    var statusReason: String?
    var lastModified = Date()
    var history: [ProvisionedConcurrencyConfig.StatusChange] = []
    var waiters: [CheckedContinuation<ProvisionedConcurrencyConfig, Never>] = []
}
