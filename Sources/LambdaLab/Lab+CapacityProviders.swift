import EventLoop
import Foundation
import Timing

/// Lambda Managed Instances' capacity providers (chapters/aws-facts.md#lambda-managed-instances):
/// created, read, listed, updated and deleted as AWS's control plane does, and a function put on one.
extension Lab {
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
}
