import Timing

/// Every execution environment the lab holds, with the index the router reads and the lifecycle's
/// transitions: the only code that changes an environment's phase or its slots. Each transition
/// checks the move against `Environment.Phase.canMove(to:)` and keeps the idle index in step.
struct EnvironmentPool {
    private(set) var environments: [EnvironmentID: Environment] = [:]
    private var routable = IdleIndex()
    /// How many environments were ever started, in all and per function.
    private(set) var started = 0
    private(set) var startedByFunction: [String: Int] = [:]
    /// Provisioned concurrency, allocated: by function, then qualifier.
    var allocations: [String: [String: ProvisionedAllocation]] = [:]
    /// Published versions on Lambda Managed Instances: by function, then version.
    var managed: [String: [String: ManagedAllocation]] = [:]

    subscript(id: EnvironmentID) -> Environment? { environments[id] }

    /// Every environment, in no particular order.
    var all: [Environment] { Array(environments.values) }

    var isEmpty: Bool { environments.isEmpty }
    var count: Int { environments.count }

    /// Reads or changes an environment's own fields (not its phase or slots); nil if it is gone.
    @discardableResult
    func update<T>(_ id: EnvironmentID, _ body: (Environment) -> T) -> T? {
        environments[id].map(body)
    }

    /// Environments of `function` (all versions, or one), in start order.
    func ids(function: String, version: String? = nil) -> [EnvironmentID] {
        environments.values.filter { $0.function == function && (version == nil || $0.version == version) }.map(\.id).sorted()
    }

    // MARK: Transitions

    /// Registers a new execution environment (not started yet), and counts it.
    mutating func create(function: String, version: String, configuration: FunctionConfiguration,
                         initializationType: InitializationType, logStreamName: String,
                         scratchDirectory: (EnvironmentID) -> String, provisionedFor: String? = nil) -> Environment {
        started += 1
        startedByFunction[function, default: 0] += 1
        let id = EnvironmentID(started)
        let environment = Environment(id: id, function: function, version: version, configuration: configuration,
                                      initializationType: initializationType, capacity: configuration.perEnvironmentConcurrency,
                                      logStreamName: logStreamName, scratchDirectory: scratchDirectory(id), provisionedFor: provisionedFor)
        environment.group = groupNumber(IdleIndex.Group(function: function, version: version, provisionedFor: provisionedFor))
        environments[id] = environment
        return environment
    }

    /// Init ended (the runtime's first `GET /next`): initializing → invoking when invocations wait
    /// for this environment, else → idle (ready for the first one).
    mutating func endInit(_ id: EnvironmentID, at now: Instant, cpuTime: Duration?) -> Bool {
        guard environments[id]?.phase == .initializing else { return false }
        let spawnedAt = environments[id]?.spawnedAt ?? now
        environments[id].map { $0.initDuration = now - spawnedAt; $0.initCPUTime = cpuTime }
        return environments[id]?.invocations.isEmpty == true ? becomeIdle(id, at: now) : move(id, to: .invoking)
    }

    /// An invocation takes one of the environment's slots. An environment still in Init takes
    /// the invocation it is started for; otherwise it must be routable (idle, or invoking with a
    /// free slot).
    mutating func assign(_ request: RequestID, to id: EnvironmentID) -> Bool {
        // Fields read in place: an environment is a large value, and copying it is most of the cost.
        guard let phase = environments[id]?.phase, phase != .shuttingDown, environments[id]?.freeSlots ?? 0 > 0 else { return false }
        if phase == .idle, !move(id, to: .invoking) { return false }
        guard environments[id].map({ $0.takeSlot(request) }) == true else { return false }
        indexRoutability(id)
        return true
    }

    /// The invocation ended: its slot is free again. Unless the environment is being discarded,
    /// it is routable at once, so the very next invocation reuses it.
    mutating func release(_ request: RequestID, from id: EnvironmentID, at now: Instant) {
        guard environments[id].map({ environment -> Bool in
            guard environment.freeSlot(request) else { return false }
            environment.invocationsServed += 1
            environment.lastUsed = now
            return true
        }) == true else { return }
        if environments[id]?.phase == .invoking, environments[id]?.invocations.isEmpty == true {
            _ = becomeIdle(id, at: now)
        } else {
            indexRoutability(id)
        }
    }

    /// A timed-out invocation whose code runs on keeps a slot (Managed Instances).
    mutating func holdTimedOut(_ request: RequestID, in id: EnvironmentID) {
        environments[id]?.holdTimedOut(request)
        indexRoutability(id)
    }

    /// The runtime answered a timed-out invocation: its slot is free. False if it held none here.
    mutating func releaseTimedOut(_ request: RequestID, from id: EnvironmentID) -> Bool {
        guard environments[id]?.releaseTimedOut(request) == true else { return false }
        indexRoutability(id)
        return true
    }

    /// The environment gives up an invocation that is moved to another (or discarded with it).
    mutating func giveUp(_ request: RequestID, from id: EnvironmentID) {
        guard environments[id].map({ $0.freeSlot(request) }) == true else { return }
        indexRoutability(id)
    }

    /// Any phase → shuttingDown: out of the index at once, so nothing more is routed to it. The
    /// first reason given is the one its SHUTDOWN line names. Nil if the environment is gone.
    @discardableResult
    mutating func beginShutdown(_ id: EnvironmentID, reason: String? = nil) -> Environment? {
        guard environments[id] != nil, move(id, to: .shuttingDown) else { return nil }
        environments[id].map { if $0.exitReason == nil { $0.exitReason = reason } }
        return environments[id]
    }

    /// The process is gone: the environment leaves the pool.
    mutating func remove(_ id: EnvironmentID) -> Environment? {
        routable.remove(id)
        return environments.removeValue(forKey: id)
    }

    private mutating func becomeIdle(_ id: EnvironmentID, at now: Instant) -> Bool {
        guard move(id, to: .idle) else { return false }
        environments[id].map { $0.idleSince = now }
        indexRoutability(id)
        return true
    }

    private mutating func move(_ id: EnvironmentID, to next: Environment.Phase) -> Bool {
        guard environments[id].map({ $0.move(to: next) }) == true else { return false }
        indexRoutability(id)
        return true
    }

    /// In the index exactly while it can take an invocation; re-inserted as most recently used.
    private mutating func indexRoutability(_ id: EnvironmentID) {
        guard environments[id]?.isRoutable == true, let group = environments[id]?.group else { return routable.remove(id) }
        routable.insert(id, in: group)
    }

    /// The index group of a version (and provisioned qualifier), numbered once: the index then
    /// hashes a number, not three strings, at every transition.
    private var groups: [IdleIndex.Group: Int] = [:]

    private mutating func groupNumber(_ group: IdleIndex.Group) -> Int {
        if let number = groups[group] { return number }
        groups[group] = groups.count + 1
        return groups.count
    }

    // MARK: Routing

    /// The router's candidates among the environments of a version that have a free slot: the
    /// best provisioned one for `provisionedQualifier` (if any), then the best on-demand one.
    /// Provisioned environments serve only invocations through the qualifier they were provisioned
    /// for. Best: with one slot, the most recently used (it is the warmest); with several, the one
    /// with the most free slots (AWS routes to the least loaded; a scan, but such environments are few).
    func candidates(function: String, version: String, provisionedQualifier: String?) -> [Router.Candidate] {
        var candidates: [Router.Candidate] = []
        if let provisionedQualifier, let group = groups[IdleIndex.Group(function: function, version: version, provisionedFor: provisionedQualifier)],
           let id = best(group) {
            candidates.append(Router.Candidate(environmentID: id, isProvisioned: true))
        }
        if let group = groups[IdleIndex.Group(function: function, version: version, provisionedFor: nil)], let id = best(group) {
            candidates.append(Router.Candidate(environmentID: id, isProvisioned: false))
        }
        return candidates
    }

    private func best(_ group: Int) -> EnvironmentID? {
        guard let recent = routable.mostRecent(group) else { return nil }
        guard environments[recent]?.capacity ?? 1 > 1 else { return recent }
        return routable.members(group).max { (environments[$0]?.freeSlots ?? 0) < (environments[$1]?.freeSlots ?? 0) }
    }

    /// Whether the index holds `id` (for tests of the transitions).
    func isRoutable(_ id: EnvironmentID) -> Bool { routable.contains(id) }
}
