import Foundation

/// The control plane: functions, versions, aliases, reserved concurrency. Validation and messages
/// follow what AWS answers (chapters/aws-facts.md#control-plane-operations, #validation-messages),
/// so the same mistakes fail the same way here.
extension Lab {
    /// Changes a registered function under the lock; `ResourceNotFoundException` if there is none.
    func withFunction<T>(_ name: String, _ body: (inout FunctionRegistry.Function, inout LabState) throws -> T) throws -> T {
        try state.withLock { state in
            guard var function = state.registry[name] else { throw LabError.functionNotFound(arn(name)) }
            let result = try body(&function, &state)
            try state.registry.update(name, notFound: .functionNotFound(arn(name))) { $0 = function }
            return result
        }
    }

    // MARK: Functions

    /// Deploys (or redeploys) a function's `$LATEST`. Environments running older code of `$LATEST`
    /// are shut down, as an update does on AWS.
    public func deploy(_ function: FunctionConfiguration) throws {
        guard FunctionReference.isValidName(function.name) else {
            throw LabError.invalidParameter("invalid function name \(function.name)")
        }
        let stale = try state.withLock { state -> [EnvironmentID] in
            try checkCapacityProvider(function.managedInstances, in: state)
            state.registry.deploy(function)
            return state.pool.ids(function: function.name, version: "$LATEST")
        }
        shutDownSoon(stale, reason: "function updated")
    }

    /// The configuration of `$LATEST`, a version or an alias's version.
    public func functionConfiguration(_ functionName: String, qualifier: String? = nil) throws -> (version: String, configuration: FunctionConfiguration) {
        try state.withLock { state in
            guard let function = state.registry[functionName] else { throw LabError.functionNotFound(arn(functionName)) }
            guard let resolved = function.resolve(qualifier) else { throw LabError.functionNotFound(arn(functionName, qualifier: qualifier)) }
            return resolved
        }
    }

    // MARK: Versions

    /// PublishVersion: freezes `$LATEST` as the next version number, "1", "2", … — or, with
    /// `toLatestPublished` (`PublishTo: LATEST_PUBLISHED`), as `$LATEST.PUBLISHED`, replaced at each
    /// publish. A Managed Instances version starts its environments now and is Pending until they
    /// are ready (chapters/aws-facts.md#lambda-managed-instances).
    @discardableResult
    public func publishVersion(_ functionName: String, description: String = "", toLatestPublished: Bool = false,
                               managedScaling: ScalingConfig? = nil) throws -> VersionInfo {
        let (info, environments, stale, readiness) = try withFunction(functionName) { function, state
            -> (VersionInfo, [Environment], [EnvironmentID], ManagedReadiness?) in
            var configuration = function.latest
            if !description.isEmpty { configuration.description = description }
            if toLatestPublished, !configuration.isManaged {
                throw LabError.invalidParameter("PublishTo LATEST_PUBLISHED is supported only for functions with a capacity provider configuration.")
            }
            let version: String
            var scaling = managedScaling ?? ScalingConfig.default
            var stale: [EnvironmentID] = []
            if toLatestPublished {
                version = "$LATEST.PUBLISHED"
                // Republished in place: its scaling carries over, its old environments go.
                if let previous = state.pool.managed[functionName]?.removeValue(forKey: version) {
                    scaling = previous.requested
                    stale = Array(previous.environmentIDs)
                }
            } else {
                if configuration.isManaged, function.versions.count >= CapacityProvider.maxFunctionVersions {
                    throw LabError("FunctionVersionsPerCapacityProviderLimitExceededException", status: 400,
                                   "The maximum number of function versions that can be associated with a single capacity provider has been exceeded.")
                }
                function.lastVersion += 1
                version = String(function.lastVersion)
            }
            function.versions[version] = configuration
            guard configuration.isManaged else { return (VersionInfo(version: version, configuration: configuration), [], stale, nil) }
            let started = startManaged(function: functionName, version: version, configuration: configuration, scaling: scaling, in: &state)
            return (VersionInfo(version: version, configuration: configuration), started.environments, stale, started.readiness)
        }
        shutDownSoon(stale, reason: "version republished")
        for environment in environments { launch(environment) }
        readiness?.resume()
        if info.configuration.isManaged { startScaler(function: functionName, version: info.version) }
        return info
    }

    /// ListVersionsByFunction: `$LATEST` first, then the published versions in order.
    public func versions(_ functionName: String) throws -> [VersionInfo] {
        try withFunction(functionName) { function, _ in
            [VersionInfo(version: "$LATEST", configuration: function.latest)]
                + function.versions.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map { VersionInfo(version: $0.key, configuration: $0.value) }
        }
    }

    // MARK: Aliases

    public func createAlias(_ functionName: String, name: String, version: String, description: String = "") throws -> AliasConfiguration {
        guard !name.isEmpty, name.count <= 128, !name.allSatisfy(\.isNumber),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        }
        return try withFunction(functionName) { function, _ in
            guard version == "$LATEST" || function.versions[version] != nil else {
                throw LabError.functionNotFound(arn(functionName, qualifier: version))
            }
            guard function.aliases[name] == nil else {
                throw LabError("ResourceConflictException", status: 409, "Alias already exists: \(arn(functionName, qualifier: name))")
            }
            let alias = AliasConfiguration(name: name, functionVersion: version, description: description,
                                           aliasARN: arn(functionName, qualifier: name), revisionID: RequestID.make().value)
            function.aliases[name] = alias
            return alias
        }
    }

    public func alias(_ functionName: String, name: String) throws -> AliasConfiguration {
        try withFunction(functionName) { function, _ in
            guard let alias = function.aliases[name] else {
                throw LabError("ResourceNotFoundException", status: 404, "Cannot find alias arn: \(arn(functionName, qualifier: name))")
            }
            return alias
        }
    }

    public func aliases(_ functionName: String) throws -> [AliasConfiguration] {
        try withFunction(functionName) { function, _ in function.aliases.values.sorted { $0.name < $1.name } }
    }

    // MARK: Reserved concurrency

    /// PutFunctionConcurrency: reserved concurrency is both a cap and a guarantee
    /// (chapters/aws-facts.md#concurrency-model).
    @discardableResult
    public func putReservedConcurrency(_ functionName: String, _ executions: Int) throws -> Int {
        guard executions >= 0 else {
            throw LabError("InvalidParameterValueException", status: 400, "ReservedConcurrentExecutions must be greater than or equal to 0")
        }
        return try withFunction(functionName) { function, state in
            let provisioned = (state.pool.allocations[functionName] ?? [:]).values.map(\.requested).reduce(0, +)
            if executions < provisioned {
                throw LabError.invalidParameter(" ReservedConcurrentExecutions  \(executions) should not be lower than function's total provisioned concurrency [\(provisioned)].")
            }
            let otherReserved = state.registry.totalReserved - (function.reservedConcurrency ?? 0)
            if configuration.accountConcurrency - otherReserved - executions < configuration.minimumUnreservedConcurrency {
                throw LabError.invalidParameter("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(configuration.minimumUnreservedConcurrency)].")
            }
            function.reservedConcurrency = executions
            return executions
        }
    }

    public func reservedConcurrency(_ functionName: String) throws -> Int? {
        try withFunction(functionName) { function, _ in function.reservedConcurrency }
    }

    public func deleteReservedConcurrency(_ functionName: String) throws {
        try withFunction(functionName) { function, _ in function.reservedConcurrency = nil }
    }

    // MARK: Lifecycle events

    /// Waits until the environment's process is gone (for instance reaped after its idle timeout).
    public func waitUntilGone(_ environmentID: String) async {
        guard let id = EnvironmentID(environmentID) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let present = state.withLock { state -> Bool in
                guard state.pool[id] != nil else { return false }
                state.goneWaiters[id, default: []].append(continuation)
                return true
            }
            if !present { continuation.resume() }
        }
    }

    /// Every Shutdown so far: which environment, why, and how its process ended.
    public var shutdowns: [ShutdownRecord] { state.withLock { $0.shutdowns } }
}
