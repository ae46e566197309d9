import Digests
import Foundation
import ZipArchive

/// Functions deployed through the API, as Terraform's AWS provider deploys them: CreateFunction with
/// the code as a zip, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, UpdateAlias,
/// DeleteAlias (chapters/aws-facts.md#control-plane-operations). Each code revision is unpacked
/// into a folder of its own, so a published version keeps the code it was published with.
extension Lab {
    /// What CreateFunction and UpdateFunctionConfiguration may set; nil leaves a value as it is.
    public struct FunctionSettings: Sendable {
        public var runtime: String?
        public var handler: String?
        public var role: String?
        public var description: String?
        public var timeoutSeconds: Int?
        public var memorySizeMB: Int?
        public var environment: [String: String]?
        /// `CapacityProviderConfig`: the function runs on Lambda Managed Instances.
        public var managedInstances: ManagedInstancesConfig?

        public init(runtime: String? = nil, handler: String? = nil, role: String? = nil, description: String? = nil,
                    timeoutSeconds: Int? = nil, memorySizeMB: Int? = nil, environment: [String: String]? = nil,
                    managedInstances: ManagedInstancesConfig? = nil) {
            self.managedInstances = managedInstances
            self.runtime = runtime
            self.handler = handler
            self.role = role
            self.description = description
            self.timeoutSeconds = timeoutSeconds
            self.memorySizeMB = memorySizeMB
            self.environment = environment
        }
    }

    /// The runtimes the lab can run from a zip: a custom runtime's `bootstrap`, as on AWS.
    static let zipRuntimes: Set<String> = ["provided.al2023", "provided.al2", "provided"]

    /// CreateFunction: unpacks the zip, checks it can run, registers `$LATEST` (and version 1 with
    /// `publish`). Returns the new configuration and, when published, the version.
    @discardableResult
    public func createFunction(_ name: String, zip: [UInt8], settings: FunctionSettings, publish: Bool = false) throws -> (FunctionConfiguration, VersionInfo?) {
        guard FunctionReference.isValidName(name) else {
            throw LabError.invalidParameter("1 validation error detected: Value '\(name.prefix(140))' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        }
        guard state.withLock({ $0.registry[name] == nil }) else {
            throw LabError("ResourceConflictException", status: 409, "Function already exist: \(name)")
        }
        let runtime = settings.runtime ?? "provided.al2023"
        let code = try unpack(zip, function: name, runtime: runtime)
        var configuration = FunctionConfiguration(name: name, command: [code.folder + "/bootstrap"], workingDirectory: code.folder)
        // A Managed Instances function is at least 2 GB (1 vCPU); that is its default too.
        if settings.managedInstances != nil, settings.memorySizeMB == nil { configuration.memorySizeMB = ManagedInstancesConfig.minimumMemoryMB }
        configuration.managedInstances = settings.managedInstances
        try Self.checkManagedMemory(settings.managedInstances, memorySizeMB: settings.memorySizeMB)
        apply(settings, to: &configuration)
        configuration.runtime = runtime
        configuration.code = code
        try deploy(configuration)
        let version = publish ? try publishVersion(name) : nil
        saveState()
        return (configuration, version)
    }

    /// UpdateFunctionCode: a new revision of `$LATEST`; its idle environments are shut down, so the
    /// next invocation starts the new code (`deploy`).
    @discardableResult
    public func updateFunctionCode(_ name: String, zip: [UInt8], publish: Bool = false) throws -> (FunctionConfiguration, VersionInfo?) {
        var configuration = try functionConfiguration(name).configuration
        let code = try unpack(zip, function: name, runtime: configuration.runtime)
        configuration.command = [code.folder + "/bootstrap"]
        configuration.workingDirectory = code.folder
        configuration.code = code
        try deploy(configuration)
        let version = publish ? try publishVersion(name) : nil
        saveState()
        return (configuration, version)
    }

    /// UpdateFunctionConfiguration: memory, timeout, environment variables and the rest.
    @discardableResult
    public func updateFunctionConfiguration(_ name: String, _ settings: FunctionSettings) throws -> FunctionConfiguration {
        var configuration = try functionConfiguration(name).configuration
        if let managed = settings.managedInstances {
            // A function created on Lambda's default stays there, as on AWS.
            guard configuration.isManaged else { throw LabError.invalidParameter("CapacityProviderConfig isn't supported for Lambda Default functions.") }
            configuration.managedInstances = managed
        }
        if configuration.isManaged { try Self.checkManagedMemory(configuration.managedInstances, memorySizeMB: settings.memorySizeMB) }
        apply(settings, to: &configuration)
        try deploy(configuration)
        saveState()
        return configuration
    }

    /// DeleteFunction: a version (with a qualifier) or the whole function, its environments shut down.
    public func deleteFunction(_ name: String, qualifier: String? = nil) throws {
        let (environments, folders) = try state.withLock { state -> ([EnvironmentID], [String]) in
            guard var function = state.registry[name] else { throw LabError.functionNotFound(arn(name, qualifier: qualifier)) }
            if let qualifier, qualifier != "$LATEST" {
                guard let removed = function.versions[qualifier] else { throw LabError.functionNotFound(arn(name, qualifier: qualifier)) }
                let referencing = function.aliases.values.filter { $0.functionVersion == qualifier }.map(\.name)
                if !referencing.isEmpty {
                    throw LabError("ResourceConflictException", status: 409, "Unable to delete version because the following aliases reference it: \(referencing)")
                }
                function.versions[qualifier] = nil
                state.pool.allocations[name]?[qualifier] = nil
                state.pool.managed[name]?[qualifier] = nil
                state.registry.restore(function, as: name)
                let stillUsed = function.codeFolders
                return (state.pool.ids(function: name, version: qualifier), [removed.code?.folder].compactMap { $0 }.filter { !stillUsed.contains($0) })
            }
            state.registry.remove(name)
            state.pool.allocations[name] = nil
            state.pool.managed[name] = nil
            return (state.pool.ids(function: name), Array(function.codeFolders))
        }
        shutDownSoon(environments, reason: "function deleted")
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        saveState()
    }

    /// UpdateAlias: points the alias at another version. Its provisioned concurrency, if any, is
    /// allocated again on the new version, as AWS does without being asked: the old environments go,
    /// new ones run Init, and the configuration is IN_PROGRESS until they are ready.
    @discardableResult
    public func updateAlias(_ name: String, alias aliasName: String, version: String?, description: String?) throws -> AliasConfiguration {
        let (alias, reallocate) = try withFunction(name) { function, state -> (AliasConfiguration, Int?) in
            guard var alias = function.aliases[aliasName] else {
                throw LabError("ResourceNotFoundException", status: 404, "Cannot find alias arn: \(arn(name, qualifier: aliasName))")
            }
            var moved = false
            if let version, version != alias.functionVersion {
                guard version == "$LATEST" || function.versions[version] != nil else { throw LabError.functionNotFound(arn(name, qualifier: version)) }
                alias.functionVersion = version
                moved = true
            }
            if let description { alias.description = description }
            alias.revisionID = RequestID.make().value
            function.aliases[aliasName] = alias
            return (alias, moved ? state.pool.allocations[name]?[aliasName]?.requested : nil)
        }
        if let executions = reallocate {
            try deleteProvisionedConcurrency(name, qualifier: aliasName)
            try putProvisionedConcurrency(name, qualifier: aliasName, executions: executions)
        }
        saveState()
        return alias
    }

    /// DeleteAlias, with the provisioned concurrency put on it.
    public func deleteAlias(_ name: String, alias aliasName: String) throws {
        let provisioned = try withFunction(name) { function, state -> Bool in
            guard function.aliases.removeValue(forKey: aliasName) != nil else {
                throw LabError("ResourceNotFoundException", status: 404, "Cannot find alias arn: \(arn(name, qualifier: aliasName))")
            }
            return state.pool.allocations[name]?[aliasName] != nil
        }
        if provisioned { try deleteProvisionedConcurrency(name, qualifier: aliasName) }
        saveState()
    }

    // MARK: Code

    /// Checks and unpacks a zip into `<code root>/<function>/<revision>/`. AWS accepts a zip without
    /// an executable `bootstrap` and fails at the first invoke (Runtime.InvalidEntrypoint); the lab
    /// refuses it at once, saying so, since nothing else could come of it.
    func unpack(_ zip: [UInt8], function: String, runtime: String) throws -> CodePackage {
        guard Lab.zipRuntimes.contains(runtime) else {
            throw LabError.invalidParameter("The lab runs custom runtimes from a zip (provided.al2023, provided.al2); runtime \(runtime.prefix(40)) is not supported here.")
        }
        guard zip.count <= 52_428_800 else {
            throw LabError("RequestEntityTooLargeException", status: 413, "Zipped size must be smaller than 52428800 bytes")
        }
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes: zip) } catch {
            throw LabError.invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again. (\(error))")
        }
        guard let bootstrap = archive.entries.first(where: { $0.path == "bootstrap" && !$0.isDirectory }) else {
            throw LabError.invalidParameter("The zip has no bootstrap at its root. On AWS the upload would succeed and every invoke fail with Runtime.InvalidEntrypoint; the lab refuses it now.")
        }
        guard let mode = bootstrap.unixMode, mode & 0o111 != 0 else {
            throw LabError.invalidParameter("bootstrap in the zip is not executable (its Unix mode is \(bootstrap.unixMode.map { String($0 & 0o777, radix: 8) } ?? "not recorded")). Zip it with mode 0755: on AWS every invoke would fail with Runtime.InvalidEntrypoint (permission denied).")
        }
        let folder = codeRoot + "/\(function)/\(RequestID.make().value)"
        do { try archive.unpack(to: folder) } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw LabError.invalidParameter("Could not unzip uploaded file: \(error)")
        }
        return CodePackage(sha256: Data(SHA256.hash(zip)).base64EncodedString(), size: zip.count, folder: folder)
    }

    /// Where deployed code is unpacked: the state directory when the lab keeps one, else its
    /// scratch space (gone when the lab stops).
    var codeRoot: String { (configuration.stateDirectory ?? scratchBase) + "/code" }

    /// At least 2 GB on Managed Instances: 1 vCPU at the smallest memory-to-vCPU ratio.
    private static func checkManagedMemory(_ managed: ManagedInstancesConfig?, memorySizeMB: Int?) throws {
        guard managed != nil, let memorySizeMB, memorySizeMB < ManagedInstancesConfig.minimumMemoryMB else { return }
        throw LabError.invalidParameter("MemorySize \(memorySizeMB) MB is below the minimum of \(ManagedInstancesConfig.minimumMemoryMB) MB for functions with a capacity provider configuration.")
    }

    private func apply(_ settings: FunctionSettings, to configuration: inout FunctionConfiguration) {
        if let runtime = settings.runtime { configuration.runtime = runtime }
        if let handler = settings.handler { configuration.handler = handler }
        if let role = settings.role { configuration.role = role }
        if let description = settings.description { configuration.description = description }
        if let seconds = settings.timeoutSeconds { configuration.timeout = .seconds(seconds) }
        if let memory = settings.memorySizeMB { configuration.memorySizeMB = memory }
        if let environment = settings.environment { configuration.environment = environment }
    }
}
