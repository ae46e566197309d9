import EventLoop
import Foundation
import Timing

/// Lambda Managed Instances (chapters/aws-facts.md#lambda-managed-instances): a function created
/// with a capacity provider runs only as published versions; publishing one starts its execution
/// environments (3 by default) before the version is Active; each environment runs up to
/// `PerExecutionEnvironmentMaxConcurrency` invocations at once; an invocation that finds every
/// slot busy is throttled, never queued and never cold-started; and a scaler adds or removes
/// environments on its own schedule, from what it measured.
extension Lab {
    /// PutFunctionScalingConfig's minimum and maximum environments.
    public struct ScalingConfig: Sendable, Equatable {
        public var minimum: Int
        public var maximum: Int?

        /// AWS's defaults: at least 3 environments (one per Availability Zone), no maximum.
        public static let `default` = ScalingConfig(minimum: 3, maximum: nil)

        public init(minimum: Int, maximum: Int?) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    /// A Managed Instances version as the lab sees it: its state, its environments, its scaling.
    public struct ManagedVersionStatus: Sendable, Equatable {
        public var state: String
        public var stateReason: String?
        public var environments: Int
        public var ready: Int
        public var minimum: Int
        public var maximum: Int?
        public var history: [ScalingEvent]
    }

    /// One decision of the scaler.
    public struct ScalingEvent: Sendable, Equatable, Codable {
        /// Since the version was published.
        public var afterMs: Double
        public var environmentsBefore: Int
        public var environmentsAfter: Int
        /// What it measured: in flight + throttled over the slots, and CPU use, both 0…1.
        public var saturation: Double
        public var cpu: Double
        public var reason: String
    }

    // MARK: Versions

    /// PublishVersion of a Managed Instances function: its environments start now, and the version
    /// is Pending until the minimum have finished Init. Under the lock; returns those to launch.
    func startManaged(function: String, version: String, configuration: FunctionConfiguration, scaling: ScalingConfig,
                      in state: inout LabState) -> (environments: [Environment], readiness: ManagedReadiness?) {
        var allocation = ManagedAllocation(version: version, scaling: scaling)
        var environments: [Environment] = []
        for _ in 0..<allocation.minimum {
            let environment = newEnvironment(function: function, version: version, configuration: configuration,
                                             initializationType: .lambdaManagedInstances, in: &state)
            allocation.environmentIDs.insert(environment.id)
            environments.append(environment)
        }
        allocation.scaler = loop.reserveTimer()
        state.pool.managed[function, default: [:]][version] = allocation
        // No environment to wait for (a minimum of 0): Active at once.
        let readiness = allocation.minimum == 0 ? settle(function, version, .active, reason: nil, in: &state) : nil
        return (environments, readiness)
    }

    /// Arms the version's scaler (after `startManaged`, outside the lock).
    func startScaler(function: String, version: String) {
        guard let timer = state.withLock({ $0.pool.managed[function]?[version]?.scaler }) else { return }
        loop.execute { [self] in
            loop.schedule(timer, after: configuration.managedInstances.scaled(configuration.managedInstances.interval)) { [weak self] in
                self?.scale(function: function, version: version)
            }
        }
    }

    /// The version's state and environments now.
    public func managedStatus(_ function: String, version: String) -> ManagedVersionStatus? {
        state.withLock { state in state.pool.managed[function]?[version].map(Self.status) }
    }

    static func status(_ allocation: ManagedAllocation) -> ManagedVersionStatus {
        ManagedVersionStatus(state: allocation.state.rawValue, stateReason: allocation.stateReason, environments: allocation.environmentIDs.count,
                             ready: allocation.ready.count, minimum: allocation.minimum, maximum: allocation.maximum, history: allocation.history)
    }

    /// Waits until the version leaves Pending (Active, or Failed) and returns its status.
    public func waitForManagedVersion(_ function: String, version: String) async throws -> ManagedVersionStatus {
        guard managedStatus(function, version: version) != nil else {
            throw LabError.invalidParameter("\(arn(function, qualifier: version)) is not a published version on a capacity provider.")
        }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> ManagedVersionStatus? in
                guard let allocation = state.pool.managed[function]?[version] else {
                    return ManagedVersionStatus(state: "Deleted", stateReason: nil, environments: 0, ready: 0, minimum: 0, maximum: nil, history: [])
                }
                if allocation.state != .pending { return Self.status(allocation) }
                state.pool.managed[function]?[version]?.waiters.append(continuation)
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// PutFunctionScalingConfig: the minimum and maximum are set together; an unset one takes its
    /// default. Environments start (or stop) to meet the new bounds. Returns the function's state.
    public func putFunctionScalingConfig(_ function: String, qualifier: String, minimum: Int?, maximum: Int?) throws -> String {
        let requested = ScalingConfig(minimum: minimum ?? ScalingConfig.default.minimum, maximum: maximum)
        if let maximum, requested.minimum > maximum {
            throw LabError.invalidParameter("MinExecutionEnvironments (\(requested.minimum)) must not be greater than MaxExecutionEnvironments (\(maximum)).")
        }
        if requested.minimum == 0, maximum != 0 {
            throw LabError.invalidParameter("MinExecutionEnvironments can be 0 only when MaxExecutionEnvironments is 0.")
        }
        let (toStart, toStop, state) = try self.state.withLock { state -> ([Environment], [EnvironmentID], String) in
            guard let registered = state.registry[function] else { throw LabError.functionNotFound(arn(function)) }
            guard let configuration = registered.versions[qualifier] else { throw LabError.functionNotFound(arn(function, qualifier: qualifier)) }
            guard configuration.isManaged, var allocation = state.pool.managed[function]?[qualifier] else {
                throw LabError.invalidParameter("Function scaling configuration applies only to functions with a capacity provider configuration.")
            }
            allocation.requested = requested
            allocation.minimum = requested.minimum
            allocation.maximum = requested.maximum
            var toStart: [Environment] = [], toStop: [EnvironmentID] = []
            let target = allocation.bounded(allocation.environmentIDs.count)
            while allocation.environmentIDs.count < target {
                let environment = newEnvironment(function: function, version: qualifier, configuration: configuration,
                                                 initializationType: .lambdaManagedInstances, in: &state)
                allocation.environmentIDs.insert(environment.id)
                toStart.append(environment)
            }
            while allocation.environmentIDs.count > target, let surplus = Self.leastBusy(allocation.environmentIDs, in: state) {
                allocation.environmentIDs.remove(surplus)
                allocation.ready.remove(surplus)
                toStop.append(surplus)
            }
            state.pool.managed[function]?[qualifier] = allocation
            return (toStart, toStop, allocation.state.rawValue)
        }
        shutDownSoon(toStop, reason: "scaling configuration lowered")
        for environment in toStart { launch(environment) }
        saveState()
        return state
    }

    /// GetFunctionScalingConfig: what is applied, and what was asked for.
    public func functionScalingConfig(_ function: String, qualifier: String) throws -> (applied: ScalingConfig, requested: ScalingConfig) {
        try state.withLock { state in
            guard let registered = state.registry[function] else { throw LabError.functionNotFound(arn(function)) }
            guard registered.versions[qualifier] != nil else { throw LabError.functionNotFound(arn(function, qualifier: qualifier)) }
            guard let allocation = state.pool.managed[function]?[qualifier] else {
                throw LabError.invalidParameter("Function scaling configuration applies only to functions with a capacity provider configuration.")
            }
            return (ScalingConfig(minimum: allocation.minimum, maximum: allocation.maximum), allocation.requested)
        }
    }

    /// The environment of `ids` with the fewest invocations (the one to let go).
    static func leastBusy(_ ids: Set<EnvironmentID>, in state: LabState) -> EnvironmentID? {
        ids.min { (state.pool[$0]?.invocations.count ?? 0, $0.number) < (state.pool[$1]?.invocations.count ?? 0, $1.number) }
    }

    // MARK: Routing

    /// Where an invocation of a Managed Instances version goes: the environment with the most free
    /// slots; when every slot is busy, a throttle — never a queue, never a cold start. Under the lock.
    func placeManaged(_ arrival: Arrival, version: String, configuration: FunctionConfiguration, at now: Instant,
                      in state: inout LabState) -> Placement {
        guard let allocation = state.pool.managed[arrival.function]?[version] else {
            return .refuse(.invalidParameter("\(arn(arrival.function, qualifier: version)) has no execution environments."))
        }
        guard allocation.state == .active else {
            return .refuse(LabError("ResourceConflictException", status: 409,
                                    "The operation cannot be performed at this time. The function is currently in the following state: \(allocation.state.rawValue)"))
        }
        guard let candidate = state.pool.candidates(function: arrival.function, version: version, provisionedQualifier: nil).first,
              state.pool.assign(arrival.requestID, to: candidate.environmentID) else {
            state.pool.managed[arrival.function]?[version]?.throttles += 1
            return .refuse(.throttled("ConcurrentInvocationLimitExceeded"))
        }
        let id = candidate.environmentID
        state.invocations.add(Invocation(id: arrival.requestID, function: arrival.function, version: version,
                                         invokedARN: arn(arrival.function, qualifier: arrival.qualifier), payload: arrival.payload,
                                         timeout: configuration.timeout, receivedAt: arrival.receivedAt, environment: id,
                                         coldStart: false, spillover: false, completion: arrival.completion))
        let inFlight = state.invocations.inFlight(function: arrival.function)
        if inFlight > allocation.peakInFlight { state.pool.managed[arrival.function]?[version]?.peakInFlight = inFlight }
        guard let waiter = state.pool.update(id, { $0.parked.isEmpty ? nil : $0.parked.removeFirst() }) ?? nil,
              let handOut = handOut(arrival.requestID, to: waiter, at: now, in: &state) else { return .waitForNext }
        return .handOut(handOut)
    }

    /// What invoking a Managed Instances function without a published version means: AWS answers
    /// `$LATEST` with an error, and an unqualified name with `$LATEST.PUBLISHED` if there is one.
    /// Nil when `qualifier` names something invocable. Under the lock.
    func managedQualifier(_ function: FunctionRegistry.Function, name: String, qualifier: String?) -> Result<String?, LabError> {
        guard function.latest.isManaged, qualifier == nil || qualifier == "$LATEST" else { return .success(qualifier) }
        let published = function.versions["$LATEST.PUBLISHED"] != nil
        if qualifier == nil, published { return .success("$LATEST.PUBLISHED") }
        if qualifier == "$LATEST", !function.versions.isEmpty {
            return .failure(.invalidParameter("Functions configured with capacity provider configuration can't be invoked with $LATEST qualifier. To invoke this function, specify a published version qualifier or $LATEST.PUBLISHED."))
        }
        return .failure(LabError("NoPublishedVersionException", status: 400,
                                 "The function can't be invoked because no published version exists. For functions with capacity provider configuration, either publish a version to $LATEST.PUBLISHED, or specify a published version qualifier."))
    }

    // MARK: Hooks from the environment lifecycle

    /// An environment finished Init: if it is a Managed Instances one, it now counts as ready, and
    /// its version is Active once its minimum are. Under the lock.
    func managedReady(_ id: EnvironmentID, in state: inout LabState) -> ManagedReadiness? {
        guard let environment = state.pool[id], environment.initializationType == .lambdaManagedInstances,
              state.pool.managed[environment.function]?[environment.version]?.environmentIDs.contains(id) == true else { return nil }
        state.pool.managed[environment.function]?[environment.version]?.ready.insert(id)
        guard let allocation = state.pool.managed[environment.function]?[environment.version], allocation.state == .pending,
              allocation.ready.count >= allocation.minimum else { return nil }
        return settle(environment.function, environment.version, .active, reason: nil, in: &state)
    }

    /// A Managed Instances environment ended. While its version is Pending that fails the version;
    /// after, the lab replaces it if the version has fewer than its minimum, as AWS replaces an
    /// unhealthy environment (`replace: false` for one that could not even start). From the loop.
    func managedEnvironmentGone(_ id: EnvironmentID, reason: String, replace: Bool = true) {
        let (replacement, readiness) = state.withLock { state -> (Environment?, ManagedReadiness?) in
            for (function, versions) in state.pool.managed {
                for (version, allocation) in versions where allocation.environmentIDs.contains(id) {
                    state.pool.managed[function]?[version]?.environmentIDs.remove(id)
                    state.pool.managed[function]?[version]?.ready.remove(id)
                    state.pool.managed[function]?[version]?.cpuSeen[id] = nil
                    if state.stopped { return (nil, nil) }
                    if allocation.state == .pending {
                        return (nil, settle(function, version, .failed, reason: "FunctionError.RuntimeInitError: \(reason)", in: &state))
                    }
                    guard replace, allocation.environmentIDs.count - 1 < allocation.minimum,
                          let configuration = state.registry[function]?.versions[version] else { return (nil, nil) }
                    let environment = newEnvironment(function: function, version: version, configuration: configuration,
                                                     initializationType: .lambdaManagedInstances, in: &state)
                    state.pool.managed[function]?[version]?.environmentIDs.insert(environment.id)
                    return (environment, nil)
                }
            }
            return (nil, nil)
        }
        readiness?.resume()
        if let replacement { launch(replacement) }
    }

    /// Leaves Pending. Under the lock; the waiters are resumed by the caller, outside it.
    private func settle(_ function: String, _ version: String, _ newState: ManagedAllocation.State, reason: String?,
                        in state: inout LabState) -> ManagedReadiness? {
        guard var allocation = state.pool.managed[function]?[version] else { return nil }
        allocation.state = newState
        allocation.stateReason = reason
        let readiness = ManagedReadiness(waiters: allocation.waiters, status: Self.status(allocation))
        allocation.waiters = []
        state.pool.managed[function]?[version] = allocation
        return readiness
    }
}

/// Callers of `waitForManagedVersion` to wake once the lock is released.
struct ManagedReadiness {
    let waiters: [CheckedContinuation<Lab.ManagedVersionStatus, Never>]
    let status: Lab.ManagedVersionStatus

    func resume() {
        for waiter in waiters { waiter.resume(returning: status) }
    }
}
