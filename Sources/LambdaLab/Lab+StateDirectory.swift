import Foundation

/// Functions deployed through the API outlive the lab when it has a state directory: their
/// configuration, versions, aliases and concurrency settings are written to `functions.json` after
/// every change, beside their unpacked code, and read back when a lab starts with that directory.
extension Lab {
    struct SavedFunction: Codable {
        var latest: FunctionConfiguration
        var versions: [String: FunctionConfiguration]
        var lastVersion: Int
        var aliases: [String: AliasConfiguration]
        var reservedConcurrency: Int?
        /// Requested provisioned concurrency, by qualifier: allocated again when the lab starts.
        var provisioned: [String: Int]
        /// Managed Instances versions' scaling (minimum, maximum), by version: their environments
        /// start again when the lab starts. Absent in files written before Managed Instances.
        var managedScaling: [String: [Int?]]?
    }

    var stateFile: String? { configuration.stateDirectory.map { $0 + "/functions.json" } }
    var capacityProvidersFile: String? { configuration.stateDirectory.map { $0 + "/capacity-providers.json" } }

    /// Writes every API-deployed function (one with a code package) to the state file, atomically.
    func saveState() {
        guard let stateFile, let directory = configuration.stateDirectory else { return }
        let (saved, providers) = state.withLock { state in
            (state.registry.functions.filter { $0.value.latest.code != nil }.reduce(into: [String: SavedFunction]()) { saved, entry in
                let (name, function) = entry
                saved[name] = SavedFunction(latest: function.latest, versions: function.versions, lastVersion: function.lastVersion,
                                            aliases: function.aliases, reservedConcurrency: function.reservedConcurrency,
                                            provisioned: (state.pool.allocations[name] ?? [:]).mapValues(\.requested),
                                            managedScaling: (state.pool.managed[name] ?? [:]).mapValues { [$0.requested.minimum, $0.requested.maximum] })
            }, Array(state.capacityProviders.values))
        }
        stateFileLock.withLock { _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            guard let data = try? encoder.encode(saved) else { return }
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? data.write(to: URL(fileURLWithPath: stateFile), options: .atomic)
            if let capacityProvidersFile, let data = try? encoder.encode(providers.sorted { $0.name < $1.name }) {
                try? data.write(to: URL(fileURLWithPath: capacityProvidersFile), options: .atomic)
            }
        }
    }

    /// Reads the state file, if there is one: the functions come back as they were, and their
    /// provisioned concurrency is allocated again (its environments run Init, as after a restart).
    /// Returns the names of the functions restored.
    @discardableResult
    public func restoreState() throws -> [String] {
        guard let stateFile, FileManager.default.fileExists(atPath: stateFile) else { return [] }
        let saved = try JSONDecoder().decode([String: SavedFunction].self, from: Data(contentsOf: URL(fileURLWithPath: stateFile)))
        let providers = try capacityProvidersFile.flatMap { file in
            FileManager.default.fileExists(atPath: file) ? try JSONDecoder().decode([CapacityProvider].self, from: Data(contentsOf: URL(fileURLWithPath: file))) : nil
        } ?? []
        var managed: [(function: String, version: String, environments: [Environment], readiness: ManagedReadiness?)] = []
        state.withLock { state in
            for provider in providers { state.capacityProviders[provider.name] = provider }
            for (name, function) in saved {
                var restored = FunctionRegistry.Function(latest: function.latest)
                restored.versions = function.versions
                restored.lastVersion = function.lastVersion
                restored.aliases = function.aliases
                restored.reservedConcurrency = function.reservedConcurrency
                state.registry.restore(restored, as: name)
                // Managed Instances versions start their environments again, as after a publish.
                for (version, configuration) in function.versions.sorted(by: { $0.key < $1.key }) where configuration.isManaged {
                    let bounds = function.managedScaling?[version]
                    let scaling = bounds.map { ScalingConfig(minimum: $0.first.flatMap { $0 } ?? 3, maximum: $0.count > 1 ? $0[1] : nil) } ?? .default
                    let started = startManaged(function: name, version: version, configuration: configuration, scaling: scaling, in: &state)
                    managed.append((name, version, started.environments, started.readiness))
                }
            }
        }
        for started in managed {
            for environment in started.environments { launch(environment) }
            started.readiness?.resume()
            startScaler(function: started.function, version: started.version)
        }
        for (name, function) in saved {
            for (qualifier, executions) in function.provisioned.sorted(by: { $0.key < $1.key }) {
                try putProvisionedConcurrency(name, qualifier: qualifier, executions: executions)
            }
        }
        return saved.keys.sorted()
    }
}
