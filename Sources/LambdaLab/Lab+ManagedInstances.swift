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

    // MARK: Capacity providers

    public func createCapacityProvider(_ provider: CapacityProvider) throws -> CapacityProvider {
        let created = try state.withLock { state -> CapacityProvider in
            guard state.capacityProviders[provider.name] == nil else {
                throw LabError("ResourceConflictException", status: 409, "Capacity provider already exists: \(provider.name)")
            }
            guard state.capacityProviders.count < CapacityProvider.maxPerAccount else {
                throw LabError("CapacityProviderLimitExceededException", status: 400, "The maximum number of capacity providers for your account has been exceeded.")
            }
            var provider = provider
            provider.arn = "arn:aws:lambda:\(configuration.region):\(configuration.accountID):capacity-provider:\(provider.name)"
            provider.lastModified = Date()
            // Pending in the answer, as AWS's; the lab launches no instances, so it is Active
            // by the next read.
            var active = provider
            active.state = .active
            state.capacityProviders[provider.name] = active
            return provider
        }
        saveState()
        return created
    }

    public func capacityProvider(_ name: String) throws -> CapacityProvider {
        try state.withLock { state in
            guard let provider = state.capacityProviders[Self.capacityProviderName(name)] else { throw Self.noCapacityProvider(name) }
            return provider
        }
    }

    public func capacityProviders(state wanted: CapacityProvider.State? = nil) -> [CapacityProvider] {
        state.withLock { state in
            state.capacityProviders.values.filter { wanted == nil || $0.state == wanted }.sorted { $0.name < $1.name }
        }
    }

    /// UpdateCapacityProvider: only its scaling can change (botocore's model).
    public func updateCapacityProvider(_ name: String, maxVCpuCount: Int?, scalingMode: String?,
                                       scalingPolicies: [CapacityProvider.ScalingPolicy]?) throws -> CapacityProvider {
        let updated = try state.withLock { state -> CapacityProvider in
            let key = Self.capacityProviderName(name)
            guard var provider = state.capacityProviders[key] else { throw Self.noCapacityProvider(name) }
            if let maxVCpuCount { provider.maxVCpuCount = maxVCpuCount }
            if let scalingMode { provider.scalingMode = scalingMode }
            if let scalingPolicies { provider.scalingPolicies = scalingPolicies }
            provider.lastModified = Date()
            state.capacityProviders[key] = provider
            return provider
        }
        saveState()
        return updated
    }

    /// DeleteCapacityProvider: refused while function versions use it, as AWS refuses it.
    public func deleteCapacityProvider(_ name: String) throws -> CapacityProvider {
        let deleted = try state.withLock { state -> CapacityProvider in
            let key = Self.capacityProviderName(name)
            guard var provider = state.capacityProviders[key] else { throw Self.noCapacityProvider(name) }
            let users = Self.versions(on: provider.arn, in: state)
            guard users.isEmpty else {
                throw LabError("ResourceConflictException", status: 409,
                               "Capacity provider \(provider.name) is used by function versions: \(users.map(\.name).joined(separator: ", ")). Delete or update them first.")
            }
            state.capacityProviders[key] = nil
            provider.state = .deleting
            return provider
        }
        saveState()
        return deleted
    }

    /// ListFunctionVersionsByCapacityProvider: each published version (and `$LATEST`) that names it.
    public func functionVersions(onCapacityProvider name: String) throws -> (arn: String, versions: [(arn: String, state: String)]) {
        try state.withLock { state in
            guard let provider = state.capacityProviders[Self.capacityProviderName(name)] else { throw Self.noCapacityProvider(name) }
            return (provider.arn, Self.versions(on: provider.arn, in: state).map { ("\(arn($0.function)):\($0.version)", $0.state) })
        }
    }

    private static func versions(on providerARN: String, in state: LabState) -> [(name: String, function: String, version: String, state: String)] {
        var found: [(String, String, String, String)] = []
        for name in state.registry.names {
            guard let function = state.registry[name] else { continue }
            for (version, configuration) in function.versions where configuration.managedInstances?.capacityProviderArn == providerARN {
                let versionState = state.pool.managed[name]?[version]?.state.rawValue ?? "Active"
                found.append(("\(name):\(version)", name, version, versionState))
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// A name or an ARN → the name.
    static func capacityProviderName(_ nameOrARN: String) -> String {
        nameOrARN.hasPrefix("arn:") ? String(nameOrARN.split(separator: ":").last ?? "") : nameOrARN
    }

    static func noCapacityProvider(_ name: String) -> LabError {
        LabError("ResourceNotFoundException", status: 404, "Capacity provider not found: \(name.prefix(200))")
    }

    /// A function's `CapacityProviderConfig` must name a capacity provider that exists. Under the lock.
    func checkCapacityProvider(_ config: ManagedInstancesConfig?, in state: LabState) throws {
        guard let config else { return }
        guard state.capacityProviders[Self.capacityProviderName(config.capacityProviderArn)] != nil else {
            throw Self.noCapacityProvider(config.capacityProviderArn)
        }
    }

    /// The shortcut `swift run lab --managed-instances NAME=K` and chapter 8 use: a capacity
    /// provider (made if there is none of that name, with placeholder VPC and role, which the lab
    /// keeps and does not use), the function moved onto it with `K` invocations per environment
    /// (and at least 2 GB), and a version published — its environments starting now.
    @discardableResult
    public func runOnManagedInstances(_ functionName: String, maxConcurrency: Int, capacityProvider name: String = "lab-capacity-provider",
                                      scaling: ScalingConfig? = nil) throws -> VersionInfo {
        let provider: CapacityProvider
        if let existing = try? capacityProvider(name) {
            provider = existing
        } else {
            provider = try createCapacityProvider(CapacityProvider(
                name: name, arn: "", state: .pending, subnetIDs: ["subnet-0lab"], securityGroupIDs: [],
                operatorRoleArn: "arn:aws:iam::\(configuration.accountID):role/lambda-lab-operator", architectures: ["x86_64"],
                allowedInstanceTypes: [], excludedInstanceTypes: [], maxVCpuCount: CapacityProvider.defaultMaxVCpuCount,
                scalingMode: "Auto", scalingPolicies: [], kmsKeyArn: nil, lastModified: Date()))
        }
        var function = try functionConfiguration(functionName).configuration
        function.managedInstances = ManagedInstancesConfig(capacityProviderArn: provider.arn, perExecutionEnvironmentMaxConcurrency: maxConcurrency)
        function.memorySizeMB = max(function.memorySizeMB, ManagedInstancesConfig.minimumMemoryMB)
        try deploy(function)
        // Published with its scaling already set, so it starts with its own minimum.
        return try publishVersion(functionName, managedScaling: scaling)
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
    private static func leastBusy(_ ids: Set<EnvironmentID>, in state: LabState) -> EnvironmentID? {
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

    // MARK: The scaler

    /// Looks at a version: how full its environments were since the last look (the most invocations
    /// in flight; full, if any was throttled) and how much CPU they used; when either is over the
    /// target it adds environments — up to twice as many at a look, for traffic that doubles — and
    /// removes one after a quiet spell. On the loop.
    private func scale(function: String, version: String) {
        let scaling = configuration.managedInstances
        let now = Clock.now
        // CPU time per environment, read outside the lock (a read of /proc per process).
        let ids = state.withLock { $0.pool.managed[function]?[version]?.ready } ?? []
        var cpu: [EnvironmentID: Duration] = [:]
        for id in ids { if let time = io.value[id]?.process.cpuTime() { cpu[id] = time } }
        let (toStart, toStop, timer) = state.withLock { state -> ([Environment], [EnvironmentID], LoopTimer?) in
            guard !state.stopped, var allocation = state.pool.managed[function]?[version],
                  let configuration = state.registry[function]?.versions[version], let managed = configuration.managedInstances else { return ([], [], nil) }
            let elapsed = max(.milliseconds(1), now - allocation.lastLook)
            let ready = allocation.ready.filter { state.pool[$0]?.isShuttingDown == false }
            let slots = ready.count * configuration.perEnvironmentConcurrency
            let inFlightNow = ready.reduce(0) { $0 + (state.pool[$1]?.invocations.count ?? 0) }
            // How full the slots were at their fullest; a throttle means they were full (how much
            // more was wanted cannot be told: a throttled call may come back many times).
            let fullest = Double(max(allocation.peakInFlight, inFlightNow)) / Double(max(1, slots))
            let saturation = allocation.throttles > 0 || slots == 0 ? 1 : min(1, fullest)
            let vCPUs = managed.vCPUs(memorySizeMB: configuration.memorySizeMB)
            let used = ready.compactMap { id -> Double? in
                guard let now = cpu[id], let before = allocation.cpuSeen[id] else { return nil }
                return (now - before).seconds / (elapsed.seconds * vCPUs)
            }
            let cpuUse = used.isEmpty ? 0 : min(1, used.reduce(0, +) / Double(used.count))
            let utilization = max(saturation, cpuUse)
            let environments = allocation.environmentIDs.count
            let target = scaling.targetUtilization
            var toStart: [Environment] = [], toStop: [EnvironmentID] = []
            func note(_ after: Int, _ reason: String) {
                allocation.history.append(ScalingEvent(afterMs: (now - allocation.publishedAt).milliseconds, environmentsBefore: environments,
                                                       environmentsAfter: after, saturation: saturation, cpu: cpuUse, reason: reason))
            }
            if utilization > target, environments == ready.count {
                let desired = allocation.bounded(Int((Double(max(1, ready.count)) * utilization / target).rounded(.up)))
                if desired > environments {
                    for _ in environments..<desired {
                        let environment = newEnvironment(function: function, version: version, configuration: configuration,
                                                         initializationType: .lambdaManagedInstances, in: &state)
                        allocation.environmentIDs.insert(environment.id)
                        toStart.append(environment)
                    }
                    note(desired, saturation >= cpuUse ? "environments full" : "CPU busy")
                }
                allocation.quietSince = nil
            } else if utilization < target / 2, environments > allocation.minimum {
                if let since = allocation.quietSince, now - since >= scaling.scaled(scaling.scaleDownAfter),
                   let surplus = Self.leastBusy(ready, in: state), state.pool[surplus]?.invocations.isEmpty == true {
                    allocation.environmentIDs.remove(surplus)
                    allocation.ready.remove(surplus)
                    toStop.append(surplus)
                    note(environments - 1, "quiet")
                    allocation.quietSince = now
                } else if allocation.quietSince == nil {
                    allocation.quietSince = now
                }
            } else {
                allocation.quietSince = nil
            }
            allocation.peakInFlight = inFlightNow
            allocation.throttles = 0
            allocation.lastLook = now
            allocation.cpuSeen = cpu
            let timer = loop.reserveTimer()
            allocation.scaler = timer
            state.pool.managed[function]?[version] = allocation
            return (toStart, toStop, timer)
        }
        for id in toStop { shutDown(id, reason: "scaled down") }
        if !toStart.isEmpty {
            // Placed after the modeled delay, then started for real (their Init is measured).
            loop.schedule(after: scaling.scaled(scaling.scaleUpDelay)) { [self] in
                for environment in toStart { launch(environment) }
            }
        }
        if let timer {
            loop.schedule(timer, after: scaling.scaled(scaling.interval)) { [weak self] in self?.scale(function: function, version: version) }
        }
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
