import Foundation

/// A capacity provider: where Lambda Managed Instances run (CreateCapacityProvider;
/// chapters/aws-facts.md#lambda-managed-instances). On AWS it names a VPC, an operator role that
/// lets Lambda launch EC2 instances in your account, the instance types, and how far they scale.
/// The lab has no VPC and no EC2: it keeps and returns every field, validated as AWS validates
/// them, and enforces none of them — its environments are processes on this machine.
public struct CapacityProvider: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case pending = "Pending", active = "Active", failed = "Failed", deleting = "Deleting"
    }

    public struct ScalingPolicy: Sendable, Codable, Equatable {
        public var predefinedMetricType: String
        public var targetValue: Double
    }

    public var name: String
    public var arn: String
    public var state: State
    public var subnetIDs: [String]
    public var securityGroupIDs: [String]
    public var operatorRoleArn: String
    public var architectures: [String]
    public var allowedInstanceTypes: [String]
    public var excludedInstanceTypes: [String]
    /// AWS's default 400.
    public var maxVCpuCount: Int
    /// `Auto` (AWS's default) or `Manual` (your own target-tracking policies).
    public var scalingMode: String
    public var scalingPolicies: [ScalingPolicy]
    public var kmsKeyArn: String?
    public var lastModified: Date

    static let defaultMaxVCpuCount = 400
    /// At most 100 function versions per capacity provider (AWS's quota, which cannot be raised).
    static let maxFunctionVersions = 100
    /// At most 1,000 capacity providers per account.
    static let maxPerAccount = 1_000
}
