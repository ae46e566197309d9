import Foundation

/// A function as deployed to the lab: which program runs in each execution environment, and the
/// configuration AWS would hold for it (memory, timeout, environment variables, handler).
public struct FunctionConfiguration: Sendable, Codable, Equatable {
    public var name: String
    /// The program and its arguments, as a `provided.al2023` bootstrap (or `python3 -m awslambdaric app.handler`).
    public var command: [String]
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Memory Size in MB (AWS default 128, range 128–10,240; chapters/aws-facts.md#quotas). The lab
    /// reports it and measures Max Memory Used, but does not cap the process.
    public var memorySizeMB: Int
    /// Function timeout (AWS default 3 s, range 1–900 s;
    /// chapters/aws-facts.md#timeouts-and-crashes).
    public var timeout: Duration
    public var handler: String
    public var runtime: String
    public var description: String
    /// The execution role, as the deployment named it (the lab runs every function with the same rights).
    public var role: String = "arn:aws:iam::000000000000:role/lambda-lab"
    /// The deployed zip, for a function created through the API (nil: a program on this machine).
    public var code: CodePackage?
    /// Invocations one execution environment runs at once: nil (one, Lambda's default), or more
    /// (Lambda Managed Instances' `PerExecutionEnvironmentMaxConcurrency`; the runtime is told in
    /// `AWS_LAMBDA_MAX_CONCURRENCY`).
    public var perEnvironmentMaxConcurrency: Int?
    /// On Lambda Managed Instances (CreateFunction's `CapacityProviderConfig`): only published
    /// versions run, in environments started when the version is published; nil is Lambda's default.
    public var managedInstances: ManagedInstancesConfig?

    /// Slots per execution environment.
    var perEnvironmentConcurrency: Int { max(1, managedInstances?.perExecutionEnvironmentMaxConcurrency ?? perEnvironmentMaxConcurrency ?? 1) }
    /// Runs on Lambda Managed Instances.
    public var isManaged: Bool { managedInstances != nil }

    public init(name: String, command: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                memorySizeMB: Int = 128, timeout: Duration = .seconds(3), handler: String = "bootstrap",
                runtime: String = "provided.al2023", description: String = "") {
        self.name = name
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.memorySizeMB = memorySizeMB
        self.timeout = timeout
        self.handler = handler
        self.runtime = runtime
        self.description = description
    }
}
