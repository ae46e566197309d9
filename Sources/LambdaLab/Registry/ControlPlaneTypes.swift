import Foundation
import Timing

/// An alias: a name that points at a version (CreateAlias,
/// chapters/aws-facts.md#control-plane-operations).
public struct AliasConfiguration: Sendable, Codable, Equatable {
    public var name: String
    public var functionVersion: String
    public var description: String
    public var aliasARN: String
    public var revisionID: String
}

/// A published version, as PublishVersion and ListVersionsByFunction describe it.
public struct VersionInfo: Sendable, Equatable {
    public var version: String
    public var configuration: FunctionConfiguration

    public static func == (a: VersionInfo, b: VersionInfo) -> Bool { a.version == b.version && a.configuration.name == b.configuration.name }
}

/// What Get/PutProvisionedConcurrencyConfig return
/// (chapters/aws-facts.md#control-plane-operations), plus the lab's record of when the status
/// changed.
/// A provisioned concurrency configuration's status, in AWS's words.
public enum ProvisionedConcurrencyStatus: String, Sendable, Codable {
    case inProgress = "IN_PROGRESS"
    case ready = "READY"
    case failed = "FAILED"
}

public struct ProvisionedConcurrencyConfig: Sendable, Codable, Equatable {
    public struct StatusChange: Sendable, Codable, Equatable {
        public var status: ProvisionedConcurrencyStatus
        /// Since the configuration was put.
        public var afterMs: Double
    }

    public var qualifier: String
    public var requested: Int
    public var allocated: Int
    public var available: Int
    public var status: ProvisionedConcurrencyStatus
    public var statusReason: String?
    /// As AWS prints it: `2019-11-21T19:32:12+0000`.
    public var lastModified: String
    public var history: [StatusChange]

    static func lastModified(_ date: Date) -> String {
        ControlPlaneJSON.timestamp(date, fractionalSeconds: false)
    }
}

/// An environment's Shutdown, as the lab logged it.
public struct ShutdownRecord: Sendable, Equatable {
    public let environmentID: String
    public let functionName: String
    public let reason: String
    /// How the process ended: "signal: terminated", "exit status 0", …
    public let exit: String
    public let at: Duration
}
