import Foundation
import Timing

/// Provisioned concurrency (chapters/aws-facts.md#provisioned-concurrency): environments
/// initialised ahead of any invocation, with
/// `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`, only on published versions and
/// aliases. The configuration is IN_PROGRESS until every one of them has finished Init, then READY.
extension Lab {
    /// PutProvisionedConcurrencyConfig. Returns at once, IN_PROGRESS; allocation runs in the
    /// background (`waitForProvisionedConcurrency` waits for it).
    @discardableResult
    public func putProvisionedConcurrency(_ functionName: String, qualifier: String?, executions: Int) throws -> ProvisionedConcurrencyConfig {
        guard let qualifier, qualifier != "$LATEST" else {
            throw LabError.invalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        }
        guard executions >= 1 else {
            throw LabError("ValidationException", status: 400, "1 validation error detected: Value '\(executions)' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1")
        }
        let (config, toStart, toStop, settled) = try state.withLock { state -> (ProvisionedConcurrencyConfig, [Environment], [EnvironmentID], ProvisionedReadiness?) in
            guard let function = state.registry[functionName] else { throw LabError.functionNotFound(arn(functionName)) }
            guard let (version, configuration) = function.resolve(qualifier) else { throw LabError.functionNotFound(arn(functionName, qualifier: qualifier)) }
            let allocations = state.pool.allocations[functionName] ?? [:]
            if function.aliases[qualifier] != nil, allocations[version] != nil {
                throw LabError("ResourceConflictException", status: 409, "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
            }
            if function.versions[qualifier] != nil,
               function.aliases.values.contains(where: { $0.functionVersion == qualifier && allocations[$0.name] != nil }) {
                throw LabError("ResourceConflictException", status: 409, "Version is pointed by a Provisioned Concurrency alias")
            }
            let others = allocations.filter { $0.key != qualifier }.values.map(\.requested).reduce(0, +)
            if let reserved = function.reservedConcurrency, others + executions > reserved {
                throw LabError.invalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
            }
            if function.reservedConcurrency == nil {
                let unreserved = self.configuration.accountConcurrency - state.registry.totalReserved
                    - state.provisionedTotal(excluding: (functionName, qualifier)) - executions
                if unreserved < self.configuration.minimumUnreservedConcurrency {
                    throw LabError.invalidParameter("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(self.configuration.minimumUnreservedConcurrency)].")
                }
            }
            // A new request replaces the old one (AWS: updates while IN_PROGRESS replace it).
            var allocation = allocations[qualifier] ?? ProvisionedAllocation(requested: executions, version: version)
            allocation.requested = executions
            allocation.version = version
            allocation.status = .inProgress
            allocation.statusReason = nil
            allocation.lastModified = Date()
            allocation.history = [.init(status: .inProgress, afterMs: 0)]
            var toStop: [EnvironmentID] = []
            while allocation.environmentIDs.count > executions {
                guard let surplus = allocation.environmentIDs.first(where: { !allocation.ready.contains($0) }) ?? allocation.environmentIDs.first else { break }
                allocation.environmentIDs.remove(surplus)
                allocation.ready.remove(surplus)
                toStop.append(surplus)
            }
            var toStart: [Environment] = []
            while allocation.environmentIDs.count < executions {
                let environment = newEnvironment(function: functionName, version: version, configuration: configuration,
                                                 initializationType: .provisionedConcurrency, provisionedFor: qualifier, in: &state)
                allocation.environmentIDs.insert(environment.id)
                toStart.append(environment)
            }
            state.pool.allocations[functionName, default: [:]][qualifier] = allocation
            // Fewer than before, all ready: READY at once.
            let settled = toStart.isEmpty ? settleIfReady(functionName, qualifier, in: &state) : nil
            return (allocation.config(qualifier: qualifier), toStart, toStop, settled)
        }
        shutDownSoon(toStop, reason: "provisioned concurrency lowered")
        for environment in toStart { launch(environment) }
        settled?.resume()
        return config
    }

    public func provisionedConcurrency(_ functionName: String, qualifier: String?) throws -> ProvisionedConcurrencyConfig {
        guard let qualifier, qualifier != "$LATEST" else {
            throw LabError.invalidParameter("The function resource provided must be an alias or a published version.")
        }
        return try state.withLock { state in
            guard state.registry[functionName] != nil else { throw LabError.functionNotFound(arn(functionName)) }
            guard let allocation = state.pool.allocations[functionName]?[qualifier] else { throw Lab.noProvisionedConfig }
            return allocation.config(qualifier: qualifier)
        }
    }

    public func provisionedConcurrencyConfigs(_ functionName: String) throws -> [ProvisionedConcurrencyConfig] {
        try state.withLock { state in
            guard state.registry[functionName] != nil else { throw LabError.functionNotFound(arn(functionName)) }
            return (state.pool.allocations[functionName] ?? [:]).sorted { $0.key < $1.key }.map { $0.value.config(qualifier: $0.key) }
        }
    }

    /// DeleteProvisionedConcurrencyConfig: its environments are shut down.
    public func deleteProvisionedConcurrency(_ functionName: String, qualifier: String?) throws {
        guard let qualifier, qualifier != "$LATEST" else {
            throw LabError.invalidParameter("The function resource provided must be an alias or a published version.")
        }
        let ids = try state.withLock { state -> Set<EnvironmentID> in
            guard state.registry[functionName] != nil else { throw LabError.functionNotFound(arn(functionName)) }
            guard let allocation = state.pool.allocations[functionName]?.removeValue(forKey: qualifier) else { throw Lab.noProvisionedConfig }
            return allocation.environmentIDs
        }
        shutDownSoon(Array(ids), reason: "provisioned concurrency deleted")
    }

    /// Waits until the configuration leaves IN_PROGRESS (READY, or FAILED) and returns it.
    public func waitForProvisionedConcurrency(_ functionName: String, qualifier: String) async throws -> ProvisionedConcurrencyConfig {
        let current = try provisionedConcurrency(functionName, qualifier: qualifier)
        if current.status != .inProgress { return current }
        return await withCheckedContinuation { continuation in
            let settled = state.withLock { state -> ProvisionedConcurrencyConfig? in
                guard let allocation = state.pool.allocations[functionName]?[qualifier] else { return current }
                if allocation.status != .inProgress { return allocation.config(qualifier: qualifier) }
                state.pool.allocations[functionName]?[qualifier]?.waiters.append(continuation)
                return nil
            }
            if let settled { continuation.resume(returning: settled) }
        }
    }

    static let noProvisionedConfig = LabError("ProvisionedConcurrencyConfigNotFoundException", status: 404,
                                              "No Provisioned Concurrency Config found for this function")

    // MARK: Hooks from the environment lifecycle

    /// An environment finished Init: if it was provisioned, it now counts as allocated. Under the lock.
    func provisionedReady(_ id: EnvironmentID, in state: inout LabState) -> ProvisionedReadiness? {
        guard let environment = state.pool[id], let qualifier = environment.provisionedFor,
              state.pool.allocations[environment.function]?[qualifier]?.environmentIDs.contains(id) == true else { return nil }
        state.pool.allocations[environment.function]?[qualifier]?.ready.insert(id)
        return settleIfReady(environment.function, qualifier, in: &state)
    }

    /// A provisioned environment ended. During allocation that fails the configuration; once READY
    /// the lab starts a replacement, as AWS keeps the allocation whole. `replace: false` for an
    /// environment that could not even start: another would fail the same way. From the loop.
    func provisionedEnvironmentFailed(_ id: EnvironmentID, reason: String, replace: Bool = true) {
        let (replacement, settled) = state.withLock { state -> (Environment?, ProvisionedReadiness?) in
            for (function, allocations) in state.pool.allocations {
                for (qualifier, allocation) in allocations where allocation.environmentIDs.contains(id) {
                    state.pool.allocations[function]?[qualifier]?.environmentIDs.remove(id)
                    state.pool.allocations[function]?[qualifier]?.ready.remove(id)
                    if state.stopped || !replace && allocation.status != .inProgress { return (nil, nil) }
                    if allocation.status == .inProgress {
                        let settled = (state.pool.allocations[function]?[qualifier]?
                            .settle(.failed, reason: "Environment failed during Init: \(reason)", qualifier: qualifier))
                        return (nil, settled.map(ProvisionedReadiness.init))
                    }
                    guard let configuration = state.registry[function]?.resolve(allocation.version)?.configuration else { return (nil, nil) }
                    let environment = newEnvironment(function: function, version: allocation.version, configuration: configuration,
                                                     initializationType: .provisionedConcurrency, provisionedFor: qualifier, in: &state)
                    state.pool.allocations[function]?[qualifier]?.environmentIDs.insert(environment.id)
                    return (environment, nil)
                }
            }
            return (nil, nil)
        }
        settled?.resume()
        if let replacement { launch(replacement) }
    }

    /// READY once every requested environment finished Init.
    private func settleIfReady(_ function: String, _ qualifier: String, in state: inout LabState) -> ProvisionedReadiness? {
        guard let allocation = state.pool.allocations[function]?[qualifier], allocation.status == .inProgress,
              allocation.ready.count >= allocation.requested else { return nil }
        return (state.pool.allocations[function]?[qualifier]?.settle(.ready, reason: nil, qualifier: qualifier)).map(ProvisionedReadiness.init)
    }
}

/// Callers of `waitForProvisionedConcurrency` to wake once the lock is released.
struct ProvisionedReadiness {
    let waiters: [CheckedContinuation<ProvisionedConcurrencyConfig, Never>]
    let config: ProvisionedConcurrencyConfig

    init(_ settled: (waiters: [CheckedContinuation<ProvisionedConcurrencyConfig, Never>], config: ProvisionedConcurrencyConfig)) {
        waiters = settled.waiters
        config = settled.config
    }

    func resume() {
        for waiter in waiters { waiter.resume(returning: config) }
    }
}
