import RuntimeAPI
import Timing

/// How an environment was initialised, in the words of `AWS_LAMBDA_INITIALIZATION_TYPE`
/// (chapters/aws-facts.md#environment-variables).
public enum InitializationType: String, Sendable, Codable {
    case onDemand = "on-demand"
    case provisionedConcurrency = "provisioned-concurrency"
}

/// One execution environment. Its phases are AWS's (chapters/aws-facts.md#lifecycle):
///
///     initializing ──first GET /next──▶ invoking ──response/error──▶ idle ──assigned──▶ invoking …
///          │ (provisioned: no invocation yet) ───────────────────────▶ idle
///     any phase ──idle timeout, crash, timeout, lab stop──▶ shuttingDown ──process exit──▶ (removed)
struct EnvironmentState {
    enum Phase: String, Sendable {
        case initializing, idle, invoking, shuttingDown

        /// The diagram above as a rule. Every phase change goes through `LabState`'s transitions,
        /// which refuse a move it does not allow instead of making it.
        func canMove(to next: Phase) -> Bool {
            switch (self, next) {
            case (.initializing, .idle), (.initializing, .invoking), (.idle, .invoking), (.invoking, .idle): true
            case (_, .shuttingDown): true
            default: false
            }
        }
    }

    let id: String
    let functionName: String
    let version: String
    let configuration: FunctionConfiguration
    let initializationType: InitializationType
    /// For a provisioned environment: the qualifier whose configuration allocated it.
    var provisionedFor: String?
    let logStreamName: String
    let scratchDirectory: String
    /// Changed only by the transitions below, so the phase, the assignment and the idle index agree.
    fileprivate(set) var phase: Phase = .initializing
    /// The invocation this environment serves or is reserved for.
    fileprivate(set) var assigned: String?
    /// A parked `GET /next`: how to answer it when the next invocation is assigned. Whoever assigns
    /// it writes the event to the runtime's connection directly; no thread waits.
    var parkedNext: (@Sendable (NextAnswer) -> Void)?
    var process: ChildProcess?
    /// The process's output pipe; there from just before the spawn.
    var output: ProcessOutput?
    var endpoint: HTTPServer?
    var spawnedAt: Instant?
    var initDuration: Duration?
    /// CPU time the process used during Init (the kernel's accounting), beside Init Duration: on
    /// AWS every environment has its own CPU share; here N environments share the machine's cores,
    /// so Init Duration − Init CPU time is mostly waiting for a CPU (plus whatever Init waited on).
    var initCPUTime: Duration?
    /// Init Duration goes on the REPORT of the first invocation only.
    var initReported = false
    var invocationsServed = 0
    var idleSince: Instant?
    var lastUsed: Instant?
    /// Function output before the first invocation (the Init phase), attached to that invocation's log.
    var initLog: [String] = []
    var exitReason: String?
    /// An idle check is pending on the deadline thread (at most one per environment).
    var idleCheckArmed = false
    /// Started to re-run an Init that outran its 10 s inside the first invocation ("suppressed
    /// init", chapters/aws-facts.md#init-phase): that Init is part of the invocation's Duration,
    /// bounded by the function timeout, and its REPORT has no Init Duration.
    var suppressedInit = false
}

/// The lifecycle's transitions: the only code that changes an environment's phase or assignment.
/// Each checks the move against `Phase.canMove(to:)` and keeps the idle index in step with it.
extension LabState {
    /// Registers a new execution environment (not started yet), already assigned to the invocation
    /// it is started for, if any, and counts it.
    mutating func newEnvironment(function: String, version: String, configuration: FunctionConfiguration,
                                 initializationType: InitializationType, scratchDirectory: (String) -> String,
                                 assigned: String? = nil, provisionedFor: String? = nil) -> EnvironmentState {
        environmentsStarted += 1
        startedByFunction[function, default: 0] += 1
        let id = "env-\(environmentsStarted)"
        var environment = EnvironmentState(
            id: id, functionName: function, version: version, configuration: configuration, initializationType: initializationType,
            logStreamName: Lab.logStreamName(version: version), scratchDirectory: scratchDirectory(id), assigned: assigned)
        environment.provisionedFor = provisionedFor
        environments[id] = environment
        return environment
    }

    /// Init ended (the runtime's first `GET /next`): initializing → invoking when an invocation
    /// waits for this environment, else → idle (a provisioned environment, ready).
    mutating func endInit(_ id: String, at now: Instant, cpuTime: Duration?) -> Bool {
        guard var environment = environments[id], environment.phase == .initializing else { return false }
        environment.initDuration = now - (environment.spawnedAt ?? now)
        environment.initCPUTime = cpuTime
        environments[id] = environment
        return environment.assigned == nil ? becomeIdle(id, at: now) : move(id, to: .invoking)
    }

    /// An idle environment takes an invocation: idle → invoking.
    mutating func assign(_ requestID: String, to id: String) -> Bool {
        guard environments[id]?.phase == .idle, move(id, to: .invoking) else { return false }
        environments[id]!.assigned = requestID
        return true
    }

    /// Its invocation ended: the assignment is cleared and, unless the environment is being
    /// discarded, invoking → idle, ready for the next one.
    mutating func release(_ id: String, from requestID: String, keep: Bool, at now: Instant) {
        guard environments[id] != nil else { return }
        environments[id]!.invocationsServed += 1
        if environments[id]!.assigned == requestID { environments[id]!.assigned = nil }
        if keep, environments[id]!.phase == .invoking, environments[id]!.assigned == nil {
            environments[id]!.lastUsed = now
            _ = becomeIdle(id, at: now)
        }
    }

    /// Any phase → shuttingDown: out of the idle index at once, so nothing more is routed to it.
    /// The first reason given is the one its SHUTDOWN line names. Nil if the environment is gone.
    @discardableResult
    mutating func beginShutdown(_ id: String, reason: String? = nil) -> EnvironmentState? {
        guard environments[id] != nil, move(id, to: .shuttingDown) else { return nil }
        if environments[id]!.exitReason == nil { environments[id]!.exitReason = reason }
        return environments[id]
    }

    /// The environment gives up its invocation (it is moved to another): it keeps nothing.
    mutating func giveUpAssignment(_ id: String) {
        guard environments[id] != nil else { return }
        environments[id]!.assigned = nil
        environments[id]!.parkedNext = nil
    }

    private mutating func becomeIdle(_ id: String, at now: Instant) -> Bool {
        guard move(id, to: .idle) else { return false }
        environments[id]!.idleSince = now
        markIdle(id)
        return true
    }

    /// The one place a phase changes.
    private mutating func move(_ id: String, to next: EnvironmentState.Phase) -> Bool {
        guard let current = environments[id]?.phase, current.canMove(to: next) else { return false }
        if current == .idle { leaveIdle(id) }
        environments[id]!.phase = next
        if next != .idle { environments[id]!.idleSince = nil }
        return true
    }
}
