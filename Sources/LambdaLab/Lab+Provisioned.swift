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
        let (config, toStart, toStop) = try withFunction(functionName) { function, state -> (ProvisionedConcurrencyConfig, [EnvironmentState], [String]) in
            guard let (version, configuration) = function.resolve(qualifier) else { throw LabError.functionNotFound(arn(functionName, qualifier: qualifier)) }
            if function.aliases[qualifier] != nil, function.provisioned[version] != nil {
                throw LabError("ResourceConflictException", status: 409, "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
            }
            if function.versions[qualifier] != nil,
               function.aliases.values.contains(where: { $0.functionVersion == qualifier && function.provisioned[$0.name] != nil }) {
                throw LabError("ResourceConflictException", status: 409, "Version is pointed by a Provisioned Concurrency alias")
            }
            let others = function.provisioned.filter { $0.key != qualifier }.values.map(\.requested).reduce(0, +)
            if let reserved = function.reservedConcurrency, others + executions > reserved {
                throw LabError.invalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
            }
            if function.reservedConcurrency == nil {
                let provisionedElsewhere = state.functions.filter { $0.key != functionName }.values
                    .flatMap { $0.provisioned.values.map(\.requested) }.reduce(0, +)
                let unreserved = self.configuration.accountConcurrency - state.totalReserved - provisionedElsewhere - others - executions
                if unreserved < self.configuration.minimumUnreservedConcurrency {
                    throw LabError.invalidParameter("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(self.configuration.minimumUnreservedConcurrency)].")
                }
            }
            // A new request replaces the old one (AWS: updates while IN_PROGRESS replace it).
            var provisioned = function.provisioned[qualifier] ?? ProvisionedState(requested: executions, version: version)
            provisioned.requested = executions
            provisioned.version = version
            provisioned.status = .inProgress
            provisioned.statusReason = nil
            provisioned.lastModified = Date()
            provisioned.history = [.init(status: .inProgress, afterMs: 0)]
            var toStop: [String] = []
            while provisioned.environmentIDs.count > executions {
                let surplus = provisioned.environmentIDs.first { !provisioned.ready.contains($0) } ?? provisioned.environmentIDs.first!
                provisioned.environmentIDs.remove(surplus)
                provisioned.ready.remove(surplus)
                toStop.append(surplus)
            }
            var toStart: [EnvironmentState] = []
            while provisioned.environmentIDs.count < executions {
                let environment = newProvisionedEnvironment(functionName: functionName, version: version, configuration: configuration,
                                                            qualifier: qualifier, in: &state)
                provisioned.environmentIDs.insert(environment.id)
                toStart.append(environment)
            }
            function.provisioned[qualifier] = provisioned
            return (publicConfig(qualifier, provisioned), toStart, toStop)
        }
        for id in toStop { shutDown(environmentID: id, reason: "provisioned concurrency lowered") }
        for environment in toStart { launch(environment) }
        if toStart.isEmpty { checkProvisionedReady(functionName, qualifier: qualifier) }
        return config
    }

    private func newProvisionedEnvironment(functionName: String, version: String, configuration: FunctionConfiguration,
                                           qualifier: String, in state: inout LabState) -> EnvironmentState {
        state.newEnvironment(function: functionName, version: version, configuration: configuration,
                             initializationType: .provisionedConcurrency, scratchDirectory: scratchDirectory(for:),
                             provisionedFor: qualifier)
    }

    public func provisionedConcurrency(_ functionName: String, qualifier: String?) throws -> ProvisionedConcurrencyConfig {
        guard let qualifier, qualifier != "$LATEST" else {
            throw LabError.invalidParameter("The function resource provided must be an alias or a published version.")
        }
        return try withFunction(functionName) { function, _ in
            guard let provisioned = function.provisioned[qualifier] else { throw Lab.noProvisionedConfig }
            return publicConfig(qualifier, provisioned)
        }
    }

    public func provisionedConcurrencyConfigs(_ functionName: String) throws -> [ProvisionedConcurrencyConfig] {
        try withFunction(functionName) { function, _ in
            function.provisioned.keys.sorted().map { publicConfig($0, function.provisioned[$0]!) }
        }
    }

    /// DeleteProvisionedConcurrencyConfig: its environments are shut down.
    public func deleteProvisionedConcurrency(_ functionName: String, qualifier: String?) throws {
        guard let qualifier, qualifier != "$LATEST" else {
            throw LabError.invalidParameter("The function resource provided must be an alias or a published version.")
        }
        let ids = try withFunction(functionName) { function, _ -> Set<String> in
            guard let provisioned = function.provisioned.removeValue(forKey: qualifier) else { throw Lab.noProvisionedConfig }
            return provisioned.environmentIDs
        }
        for id in ids { shutDown(environmentID: id, reason: "provisioned concurrency deleted") }
    }

    /// Waits until the configuration leaves IN_PROGRESS (READY, or FAILED) and returns it.
    public func waitForProvisionedConcurrency(_ functionName: String, qualifier: String) async throws -> ProvisionedConcurrencyConfig {
        let current = try provisionedConcurrency(functionName, qualifier: qualifier)
        if current.status != .inProgress { return current }
        return await withCheckedContinuation { continuation in
            let settled = state.withLock { state -> ProvisionedConcurrencyConfig? in
                guard let provisioned = state.functions[functionName]?.provisioned[qualifier] else { return current }
                if provisioned.status != .inProgress { return publicConfig(qualifier, provisioned) }
                state.functions[functionName]!.provisioned[qualifier]!.waiters.append(continuation)
                return nil
            }
            if let settled { continuation.resume(returning: settled) }
        }
    }

    static let noProvisionedConfig = LabError("ProvisionedConcurrencyConfigNotFoundException", status: 404,
                                              "No Provisioned Concurrency Config found for this function")

    func publicConfig(_ qualifier: String, _ provisioned: ProvisionedState) -> ProvisionedConcurrencyConfig {
        ProvisionedConcurrencyConfig(
            qualifier: qualifier, requested: provisioned.requested, allocated: provisioned.ready.count,
            available: provisioned.ready.count, status: provisioned.status, statusReason: provisioned.statusReason,
            lastModified: ProvisionedConcurrencyConfig.lastModified(provisioned.lastModified), history: provisioned.history)
    }

    // MARK: Hooks from the environment lifecycle

    /// A runtime parked in `GET /next` with nothing to do: if it was provisioned and this is the
    /// end of its Init, it now counts as allocated.
    func provisionedEnvironmentReady(_ environmentID: String) {
        let owner = state.withLock { state -> (String, String)? in
            guard let environment = state.environments[environmentID], let qualifier = environment.provisionedFor,
                  state.functions[environment.functionName]?.provisioned[qualifier]?.environmentIDs.contains(environmentID) == true
            else { return nil }
            state.functions[environment.functionName]!.provisioned[qualifier]!.ready.insert(environmentID)
            return (environment.functionName, qualifier)
        }
        if let (function, qualifier) = owner { checkProvisionedReady(function, qualifier: qualifier) }
    }

    /// A provisioned environment ended. During allocation that fails the configuration; once READY
    /// the lab starts a replacement, as AWS keeps the allocation whole.
    /// `replace: false` for an environment that could not even start: another would fail the same way.
    func provisionedEnvironmentFailed(_ environmentID: String, reason: String, replace: Bool = true) {
        let replacement = state.withLock { state -> EnvironmentState? in
            for (name, function) in state.functions {
                for (qualifier, provisioned) in function.provisioned where provisioned.environmentIDs.contains(environmentID) {
                    state.functions[name]!.provisioned[qualifier]!.environmentIDs.remove(environmentID)
                    state.functions[name]!.provisioned[qualifier]!.ready.remove(environmentID)
                    if state.stopped || !replace && provisioned.status != .inProgress { return nil }
                    if provisioned.status == .inProgress {
                        settle(&state, function: name, qualifier: qualifier, status: .failed, reason: "Environment failed during Init: \(reason)")
                        return nil
                    }
                    guard let configuration = function.resolve(provisioned.version)?.configuration else { return nil }
                    let environment = newProvisionedEnvironment(functionName: name, version: provisioned.version, configuration: configuration,
                                                                qualifier: qualifier, in: &state)
                    state.functions[name]!.provisioned[qualifier]!.environmentIDs.insert(environment.id)
                    return environment
                }
            }
            return nil
        }
        if let replacement { launch(replacement) }
    }

    private func checkProvisionedReady(_ functionName: String, qualifier: String) {
        state.withLock { state in
            guard let provisioned = state.functions[functionName]?.provisioned[qualifier], provisioned.status == .inProgress,
                  provisioned.ready.count >= provisioned.requested else { return }
            settle(&state, function: functionName, qualifier: qualifier, status: .ready, reason: nil)
        }
    }

    /// Moves a configuration out of IN_PROGRESS and wakes whoever waits for that.
    private func settle(_ state: inout LabState, function: String, qualifier: String, status: ProvisionedConcurrencyStatus, reason: String?) {
        var provisioned = state.functions[function]!.provisioned[qualifier]!
        provisioned.status = status
        provisioned.statusReason = reason
        let elapsed = Date().timeIntervalSince(provisioned.lastModified) * 1000
        provisioned.history.append(.init(status: status, afterMs: elapsed))
        let waiters = provisioned.waiters
        provisioned.waiters = []
        state.functions[function]!.provisioned[qualifier] = provisioned
        let config = publicConfig(qualifier, provisioned)
        DispatchQueue.global().async { for waiter in waiters { waiter.resume(returning: config) } }
    }
}
