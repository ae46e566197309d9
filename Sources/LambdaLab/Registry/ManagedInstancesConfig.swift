/// A function on Lambda Managed Instances: CreateFunction's `CapacityProviderConfig`
/// (`LambdaManagedInstancesCapacityProviderConfig`; chapters/aws-facts.md#lambda-managed-instances).
/// Its published versions run in execution environments started when they are published, each
/// serving up to `perExecutionEnvironmentMaxConcurrency` invocations at once.
public struct ManagedInstancesConfig: Sendable, Codable, Equatable {
    public var capacityProviderArn: String
    /// Invocations one environment runs at once (1–1,600); the runtime reads it in
    /// `AWS_LAMBDA_MAX_CONCURRENCY`.
    public var perExecutionEnvironmentMaxConcurrency: Int
    /// Memory per vCPU (2–8 GiB): with Memory Size, how many vCPUs an environment has.
    public var memoryGiBPerVCpu: Double

    /// AWS's defaults are per runtime and per vCPU (Python 16, Node.js 64) and it publishes none for
    /// a custom runtime; the lab takes 16 for one vCPU, and says so.
    public static let defaultMaxConcurrency = 16
    /// AWS publishes no default ratio; 2 GiB per vCPU is the smallest, a compute-optimized instance's.
    public static let defaultMemoryGiBPerVCpu = 2.0
    /// The smallest Memory Size of a Managed Instances function: 2 GB and 1 vCPU.
    public static let minimumMemoryMB = 2_048

    public init(capacityProviderArn: String, perExecutionEnvironmentMaxConcurrency: Int = Self.defaultMaxConcurrency,
                memoryGiBPerVCpu: Double = Self.defaultMemoryGiBPerVCpu) {
        self.capacityProviderArn = capacityProviderArn
        self.perExecutionEnvironmentMaxConcurrency = perExecutionEnvironmentMaxConcurrency
        self.memoryGiBPerVCpu = memoryGiBPerVCpu
    }

    /// vCPUs of one environment of a function with this Memory Size.
    public func vCPUs(memorySizeMB: Int) -> Double { max(1, Double(memorySizeMB) / 1024 / memoryGiBPerVCpu) }
}
