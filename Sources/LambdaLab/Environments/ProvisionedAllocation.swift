import Foundation

/// A provisioned concurrency configuration and its allocation: the environments started for it,
/// which of them finished Init, and the status AWS reports (IN_PROGRESS until every requested
/// environment is initialised, then READY; FAILED when one cannot start).
struct ProvisionedAllocation {
    var requested: Int
    /// The version its environments run.
    var version: String
    var environmentIDs: Set<EnvironmentID> = []
    /// Environments whose Init is done (they have asked for their first invocation).
    var ready: Set<EnvironmentID> = []
    var status = ProvisionedConcurrencyStatus.inProgress
    var statusReason: String?
    var lastModified = Date()
    var history: [ProvisionedConcurrencyConfig.StatusChange] = []
    /// Callers of `waitForProvisionedConcurrency`, resumed when the status settles.
    var waiters: [CheckedContinuation<ProvisionedConcurrencyConfig, Never>] = []

    init(requested: Int, version: String) {
        self.requested = requested
        self.version = version
    }

    func config(qualifier: String) -> ProvisionedConcurrencyConfig {
        ProvisionedConcurrencyConfig(
            qualifier: qualifier, requested: requested, allocated: ready.count, available: ready.count, status: status,
            statusReason: statusReason, lastModified: ProvisionedConcurrencyConfig.lastModified(lastModified), history: history)
    }

    /// Leaves IN_PROGRESS; returns who waited for that, and what to tell them.
    mutating func settle(_ status: ProvisionedConcurrencyStatus, reason: String?, qualifier: String)
        -> (waiters: [CheckedContinuation<ProvisionedConcurrencyConfig, Never>], config: ProvisionedConcurrencyConfig) {
        self.status = status
        statusReason = reason
        history.append(.init(status: status, afterMs: Date().timeIntervalSince(lastModified) * 1000))
        defer { waiters = [] }
        return (waiters, config(qualifier: qualifier))
    }
}
