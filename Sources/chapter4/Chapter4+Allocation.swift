import Foundation
import LambdaLab
import Timing
import Workbook

/// Allocating provisioned concurrency, watched from outside the lab: the chapter puts the
/// configuration, then reads its status every millisecond — as a deployment tool waits for
/// READY — and, right after each read, which of the alias's environments have finished Init.
extension Chapter4 {
    struct ProvisionedEnvironment: Codable, Sendable {
        var environmentID: String
        var initDurationMs: Double?
    }

    struct Allocation: Codable, Sendable {
        /// What PutProvisionedConcurrencyConfig on `$LATEST` answered.
        var latestRejected: String
        /// The status the Put answered with.
        var putStatus: ProvisionedConcurrencyStatus
        /// The configuration when READY was first read, with the lab's status history.
        var config: ProvisionedConcurrencyConfig
        /// The alias's environments once READY, with their Init Durations.
        var environments: [ProvisionedEnvironment]
        /// Put → the status changed to READY, from the lab's status history.
        var readyAfterMs: Double
        /// Put → the chapter's first read of READY, on the chapter's own clock.
        var readyReadMs: Double
        /// How many times the chapter read the status, READY included.
        var statusReads: Int
        /// Environments with an Init Duration (Init finished) in the snapshot taken right after
        /// the first READY read.
        var initialisedAtReady: Int
    }

    /// PutProvisionedConcurrencyConfig on `qualifier`, then the status read until READY.
    static func allocate(_ lab: Lab, function: String, qualifier: String, executions: Int, latestRejected: String) async throws -> Allocation {
        let start = ContinuousClock.now
        let put = try lab.putProvisionedConcurrency(function, qualifier: qualifier, executions: executions)
        var reads = 0
        while true {
            // The status first, then the environments: an environment still in Init after READY
            // was read would show here, so the order can only catch a READY that came too soon.
            let config = try lab.provisionedConcurrency(function, qualifier: qualifier)
            let readMs = (ContinuousClock.now - start).milliseconds
            let environments = lab.environments.filter { $0.functionName == function && $0.provisionedFor == qualifier }
            reads += 1
            switch config.status {
            case .ready:
                return Allocation(
                    latestRejected: latestRejected, putStatus: put.status, config: config,
                    environments: environments.map { ProvisionedEnvironment(environmentID: $0.id, initDurationMs: $0.initDuration?.milliseconds) },
                    readyAfterMs: config.history.last { $0.status == .ready }?.afterMs ?? readMs, readyReadMs: readMs,
                    statusReads: reads,
                    initialisedAtReady: environments.filter { $0.initDuration != nil }.count)
            case .inProgress:
                break
            default:
                throw AllocationError(description: "provisioned concurrency on \(function):\(qualifier) is \(config.status.rawValue): \(config.statusReason ?? "")")
            }
            guard ContinuousClock.now - start < .seconds(60) else {
                throw AllocationError(description: "provisioned concurrency on \(function):\(qualifier) was not READY after 60 s")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// Provisioned concurrency that failed, or never became READY.
struct AllocationError: Error, CustomStringConvertible {
    let description: String
}
