import EventLoop
import Timing

/// How an environment was initialised, in the words of `AWS_LAMBDA_INITIALIZATION_TYPE`
/// (chapters/aws-facts.md#environment-variables).
public enum InitializationType: String, Sendable, Codable {
    case onDemand = "on-demand"
    case provisionedConcurrency = "provisioned-concurrency"
    case lambdaManagedInstances = "lambda-managed-instances"
}

/// One execution environment, as the lab keeps it: its phase, its slots, its parked `GET /next`s.
///
/// Its phases are AWS's (chapters/aws-facts.md#lifecycle):
///
///     initializing ──first GET /next──▶ idle  (nothing assigned yet: a provisioned environment)
///          │                              ▲ │
///          └──first GET /next, with ──▶ invoking   (one or more of its `capacity` slots taken)
///              an invocation waiting
///     any phase ──idle timeout, crash, timeout, lab stop──▶ shuttingDown ──process reaped──▶ (removed)
///
/// `capacity` is how many invocations it runs at once: 1 on Lambda's default, as AWS runs one
/// request per environment; more on Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`). It is
/// idle when no slot is taken, invoking when one or more are, and full when every slot is.
///
/// A class, kept in `EnvironmentPool` behind the lab's lock: the router reads a field or two of
/// it on every invocation, and a value this large would be copied whole for each read. Its `let`s
/// may be read anywhere (a starter thread reads its configuration); its `var`s are read and written
/// under the lab's lock, or on the lab's loop, which is the only thread that changes them.
final class Environment: @unchecked Sendable {
    enum Phase: String, Sendable {
        case initializing, idle, invoking, shuttingDown

        /// The diagram above as a rule. Every phase change goes through `EnvironmentPool`, which
        /// refuses a move this does not allow instead of making it.
        func canMove(to next: Phase) -> Bool {
            switch (self, next) {
            case (.initializing, .idle), (.initializing, .invoking), (.idle, .invoking), (.invoking, .idle): true
            case (_, .shuttingDown): true
            default: false
            }
        }
    }

    let id: EnvironmentID
    let function: String
    let version: String
    let configuration: FunctionConfiguration
    let initializationType: InitializationType
    /// Invocations it runs at once (its slots).
    let capacity: Int
    let logStreamName: String
    let scratchDirectory: String
    /// For a provisioned environment: the qualifier whose configuration allocated it.
    let provisionedFor: String?
    /// Its group in the router's index (its version and `provisionedFor`, numbered by the pool).
    var group = 0
    /// Changed only through the transitions below, which `EnvironmentPool` calls, so the phase, the
    /// slots and the pool's index agree.
    private(set) var phase: Phase = .initializing
    /// The invocations holding its slots, in the order they were assigned.
    private(set) var invocations: [RequestID] = []
    /// `GET /next` requests waiting for an invocation, oldest first. A runtime may park more than
    /// its slots (a worker per slot and then some, as Node.js's does): AWS parks them all and
    /// limits the invocations it sends instead (chapters/aws-facts.md#lambda-managed-instances).
    var parked: [NextWaiter] = []
    /// Invocations that timed out while their code ran on (Managed Instances): each still holds a
    /// slot until the runtime answers it.
    private(set) var timedOut: Set<RequestID> = []

    // What was measured.
    var pid: Int32?
    var runtimeAPIPort: UInt16?
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
    /// Why it is shutting down: the first reason given, named on its SHUTDOWN line.
    var exitReason: String?
    /// Its pending idle check, if one is armed.
    var idleCheck: LoopTimer?
    /// Started to re-run an Init that outran its 10 s inside the first invocation ("suppressed
    /// init", chapters/aws-facts.md#init-phase): that Init is part of the invocation's Duration,
    /// bounded by the function timeout, and its REPORT has no Init Duration.
    var suppressedInit = false

    init(id: EnvironmentID, function: String, version: String, configuration: FunctionConfiguration,
         initializationType: InitializationType, capacity: Int, logStreamName: String, scratchDirectory: String, provisionedFor: String?) {
        self.provisionedFor = provisionedFor
        self.id = id
        self.function = function
        self.version = version
        self.configuration = configuration
        self.initializationType = initializationType
        self.capacity = max(1, capacity)
        self.logStreamName = logStreamName
        self.scratchDirectory = scratchDirectory
    }

    var freeSlots: Int { capacity - invocations.count - timedOut.count }
    /// It can take another invocation now.
    var isRoutable: Bool { (phase == .idle || phase == .invoking) && freeSlots > 0 }
    var isShuttingDown: Bool { phase == .shuttingDown }

    // MARK: Transitions (called by `EnvironmentPool` only)

    /// The one place a phase changes: false, and no change, for a move the diagram does not allow.
    func move(to next: Phase) -> Bool {
        guard phase.canMove(to: next) else { return false }
        phase = next
        if next != .idle { idleSince = nil }
        return true
    }

    /// An invocation takes a slot: false when none is free.
    func takeSlot(_ request: RequestID) -> Bool {
        guard freeSlots > 0, !invocations.contains(request) else { return false }
        invocations.append(request)
        return true
    }

    /// The invocation's slot is free again: false if it held none here.
    func freeSlot(_ request: RequestID) -> Bool {
        guard let slot = invocations.firstIndex(of: request) else { return false }
        invocations.remove(at: slot)
        return true
    }

    /// A timed-out invocation keeps its slot (see `timedOut`).
    func holdTimedOut(_ request: RequestID) { timedOut.insert(request) }

    /// Its runtime answered at last: false if it held no slot.
    func releaseTimedOut(_ request: RequestID) -> Bool { timedOut.remove(request) != nil }

    /// The invocation the output of a one-slot environment belongs to; with several slots, output
    /// cannot be told apart by invocation (AWS's JSON log lines carry the request ID for that).
    var soleInvocation: RequestID? { capacity == 1 ? invocations.first : nil }
}
